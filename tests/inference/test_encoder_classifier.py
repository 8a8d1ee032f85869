"""The encoder classifier trains, saves, loads back identically, and refuses bad input by index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from inference.encoder import layer_input, load_encoder, run_layers
from inference.triage.base import MAX_CALL_TEXT_CHARS, InvalidCallText
from inference.triage.encoder_classifier import ArtefactNotFound, EncoderClassifier

TEXTS = ["My dad collapsed and he's not breathing.",
         "I need a repeat prescription for my inhaler, please, no rush at all.",
         "Sprained ankle."]


def test_training_writes_a_complete_artefact_with_metadata(tiny_training: dict[str, Any]) -> None:
    artefact: Path = tiny_training["artefact_dir"]
    metadata = json.loads((artefact / "metadata.json").read_text())
    assert metadata["classifier"] == "tiny-ft"
    assert metadata["seed"] == 0 and metadata["epochs"] == 1
    assert len(metadata["corpus_sha256"]["train.jsonl"]) == 64
    assert metadata["decision"]["kind"] == "cost" and len(metadata["decision"]["costs"]) == 5
    assert metadata["temperature"] > 0 and metadata["augment_copies"] == 1
    assert {"macro_f1", "under_triage_rate_critical", "argmax", "calibration",
            "cost_trade"} <= set(metadata["validation"])
    assert metadata["created"]
    assert not artefact.with_name(artefact.name + ".partial").exists()


def test_save_and_load_give_identical_probabilities(tiny_training: dict[str, Any],
                                                    tmp_path: Path) -> None:
    first = EncoderClassifier.load(tiny_training["artefact_dir"])
    before = first.probabilities(TEXTS)
    second = EncoderClassifier.load(first.save(tmp_path / "copy"))
    assert second.probabilities(TEXTS) == before
    assert second.name == "tiny-ft" and second.decision == first.decision
    assert second.temperature == first.temperature


def test_classify_returns_the_cost_decision_over_calibrated_probabilities(tiny_training: dict[str, Any]) -> None:
    classifier = EncoderClassifier.load(tiny_training["artefact_dir"])
    triages = classifier.classify(TEXTS)
    assert len(triages) == 3
    for triage in triages:
        assert sum(triage.probabilities) == pytest.approx(1.0, abs=1e-5)
        assert triage.priority == classifier.decision.apply(triage.probabilities)
        assert triage.classifier == "tiny-ft"


def test_batching_and_sorting_keep_each_call_s_own_result(tiny_training: dict[str, Any]) -> None:
    classifier = EncoderClassifier.load(tiny_training["artefact_dir"])
    classifier.batch_size = 2
    together = classifier.probabilities(TEXTS)
    alone = [classifier.probabilities([text])[0] for text in TEXTS]
    for batched, single in zip(together, alone):
        assert batched == pytest.approx(single, abs=1e-5)


def test_validation_metrics_from_training_match_classify(tiny_training: dict[str, Any]) -> None:
    """Training scores validation on cached states; classify runs the whole model. Same answer."""
    classifier = EncoderClassifier.load(tiny_training["artefact_dir"])
    rows = tiny_training["validation"]
    predicted = [t.priority for t in classifier.classify([r.text for r in rows])]
    confusion = tiny_training["metrics"]["validation"]["confusion"]
    assert [sum(confusion[t][p] for t in range(5)) for p in range(5)] == \
        [predicted.count(p) for p in range(5)]


@pytest.mark.parametrize("bad, index, reason", [
    ("   ", 1, "empty"),
    ("x" * (MAX_CALL_TEXT_CHARS + 1), 1, "more than"),
    (None, 1, "must be a string"),
])
def test_classify_refuses_bad_text_naming_its_index(tiny_training: dict[str, Any], bad: object,
                                                     index: int, reason: str) -> None:
    classifier = EncoderClassifier.load(tiny_training["artefact_dir"])
    with pytest.raises(InvalidCallText, match=rf"call {index}: .*{reason}"):
        classifier.classify([TEXTS[0], bad])  # type: ignore[list-item]


def test_missing_artefact_says_how_to_train(tmp_path: Path) -> None:
    with pytest.raises(ArtefactNotFound, match="manage.py train_triage") as caught:
        EncoderClassifier.load(tmp_path / "nothing here")
    assert isinstance(caught.value, FileNotFoundError)


def test_incomplete_artefact_names_the_missing_file(tiny_training: dict[str, Any],
                                                    tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_training["artefact_dir"], broken)
    (broken / "head.safetensors").unlink()
    with pytest.raises(ArtefactNotFound, match="head.safetensors.*train_triage"):
        EncoderClassifier.load(broken)


def test_corrupt_metadata_is_reported_as_a_missing_artefact(tiny_training: dict[str, Any],
                                                            tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_training["artefact_dir"], broken)
    (broken / "metadata.json").write_text("{")
    with pytest.raises(ArtefactNotFound, match="metadata.json"):
        EncoderClassifier.load(broken)


def test_cached_layer_path_equals_the_full_forward(tiny_encoder_dir: Path) -> None:
    tokenizer, encoder = load_encoder(tiny_encoder_dir)
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    with torch.inference_mode():
        full = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        split = run_layers(encoder, layer_input(encoder, ids, mask, 1), mask, start=1)
    real = mask.bool()
    assert torch.allclose(full[real], split[real], atol=1e-5)


def test_an_artefact_from_before_the_cost_matrix_still_loads_with_its_safety_rule(
        tiny_training: dict[str, Any], tmp_path: Path) -> None:
    from inference.triage.safety import SafetyRule

    old = tmp_path / "old"
    shutil.copytree(tiny_training["artefact_dir"], old)
    metadata = json.loads((old / "metadata.json").read_text())
    for key in ("decision", "temperature"):
        metadata.pop(key)
    metadata["safety"] = {"threshold": 0.6, "floor": 0.25}
    (old / "metadata.json").write_text(json.dumps(metadata))
    classifier = EncoderClassifier.load(old)
    assert classifier.decision == SafetyRule(0.6, 0.25) and classifier.temperature == 1.0
