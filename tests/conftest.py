"""Fixtures shared across test folders: a tiny urgency classifier and the settings that use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.encoder import build_tiny_encoder
from inference.triage.evaluation import read_jsonl
from inference.triage.training import train_encoder_classifier

CORPUS = Path(__file__).resolve().parents[1] / "inference" / "data" / "triage_corpus"


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random tiny BERT with the real MiniLM tokenizer: the real code path in milliseconds."""
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny_encoder"))


@pytest.fixture(scope="session")
def tiny_artefact_dir(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> Path:
    """A classifier artefact trained for one epoch on 40 corpus calls (weak, but real)."""
    train = [row for level in range(5)
             for row in [r for r in read_jsonl(CORPUS / "train.jsonl") if r.priority == level][:8]]
    validation = [row for level in range(5)
                  for row in [r for r in read_jsonl(CORPUS / "validation.jsonl") if r.priority == level][:2]]
    out_dir = tmp_path_factory.mktemp("artefact") / "tiny"
    train_encoder_classifier(train, validation, out_dir, base_encoder_dir=tiny_encoder_dir, epochs=1,
                             batch_size=8, name="tiny-ft")
    return out_dir


@pytest.fixture(scope="session")
def minilm_length_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A length model on MiniLM features, trained on 40 shipped reply lengths: for servers that run
    a tiny LM, where the default (the response model's own features) would not fit."""
    from inference.learned_length import MiniLMFeatures, train_length_predictor
    from inference.reply_lengths import TABLE_DIR, read_table, with_output_tokens

    table = read_table(next(TABLE_DIR.glob("*.jsonl")))
    rows = [r for r in with_output_tokens(read_jsonl(CORPUS / "train.jsonl"), table) if r.output_tokens][:40]
    out = tmp_path_factory.mktemp("length") / "length"
    train_length_predictor([r.text for r in rows], [r.priority for r in rows], [r.output_tokens for r in rows],
                           max_tokens=160, text_features=[MiniLMFeatures()]).save(out)
    return out


def _use_models(settings, encoder_dir: Path) -> None:
    from triage_site.triage import get_classifier
    settings.TRIAGE_CLASSIFIER = "encoder"
    settings.TRIAGE_ENCODER_DIR = encoder_dir
    get_classifier.cache_clear()  # the process keeps one classifier; tests switch it
    # The learned length predictor does not depend on the classifier: the real one stays loaded.


@pytest.fixture
def tiny_classifier_settings(settings, tiny_artefact_dir):
    _use_models(settings, tiny_artefact_dir)
    yield settings
    _use_models(settings, tiny_artefact_dir)


@pytest.fixture
def missing_classifier_settings_factory(settings, tmp_path):
    """Point the site at a classifier that was never built (call the returned function)."""
    def use_missing():
        _use_models(settings, tmp_path / "never-trained")
        return settings
    yield use_missing
    from triage_site.triage import get_classifier
    get_classifier.cache_clear()


@pytest.fixture
def missing_classifier_settings(missing_classifier_settings_factory):
    return missing_classifier_settings_factory()
