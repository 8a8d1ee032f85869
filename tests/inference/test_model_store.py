"""Model store: where models live, conversions that are idempotent and never leave half a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference import model_store
from inference.model_store import (COMPLETE_MARKER, build_tiny_causal_lm, convert_smollm2, default_models_dir,
                                   install_dir_atomically, is_complete, load_causal_lm, smollm2_gguf_path)

PROVENANCE = {"source": "test"}


def write_weights(out_dir: Path) -> None:
    (out_dir / "weights.bin").write_text("new")


def leftovers(parent: Path) -> list[str]:
    return [path.name for path in parent.iterdir() if path.name.startswith(".")]


def test_default_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIAGE_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert default_models_dir() == tmp_path / "elsewhere"


def test_default_dir_is_models_in_the_repo(monkeypatch):
    monkeypatch.delenv("TRIAGE_MODELS_DIR", raising=False)
    assert default_models_dir() == Path(model_store.__file__).resolve().parent.parent / "models"


def test_gguf_is_found_in_the_installed_wheel():
    path = smollm2_gguf_path()
    assert path.is_file() and path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_install_writes_a_complete_dir_and_cleans_up(tmp_path):
    target = install_dir_atomically(tmp_path / "model", write_weights, provenance=PROVENANCE)
    assert (target / "weights.bin").read_text() == "new"
    assert json.loads((target / COMPLETE_MARKER).read_text()) == PROVENANCE
    assert leftovers(tmp_path) == []


def test_install_is_idempotent(tmp_path):
    install_dir_atomically(tmp_path / "model", write_weights, provenance=PROVENANCE)

    def must_not_run(out_dir: Path) -> None:
        raise AssertionError("a complete model was rebuilt")

    install_dir_atomically(tmp_path / "model", must_not_run, provenance=PROVENANCE)
    assert (tmp_path / "model" / "weights.bin").read_text() == "new"


def test_half_written_target_is_replaced(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "config.json").write_text("{")  # an interrupted copy: no completion marker
    install_dir_atomically(target, write_weights, provenance=PROVENANCE)
    assert sorted(path.name for path in target.iterdir()) == [COMPLETE_MARKER, "weights.bin"]
    assert leftovers(tmp_path) == []


def test_interrupted_install_leaves_no_model(tmp_path):
    def crash_halfway(out_dir: Path) -> None:
        (out_dir / "config.json").write_text("{}")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        install_dir_atomically(tmp_path / "model", crash_halfway, provenance=PROVENANCE)
    assert not (tmp_path / "model").exists()
    assert leftovers(tmp_path) == []


def test_convert_smollm2_reuses_a_complete_dir(monkeypatch, tmp_path):
    install_dir_atomically(tmp_path / "smollm2", write_weights, provenance=PROVENANCE)
    monkeypatch.setattr(model_store, "_write_smollm2", lambda *args: pytest.fail("converted again"))
    assert convert_smollm2(tmp_path / "smollm2") == tmp_path / "smollm2"


def test_tiny_model_loads_in_eval_mode_on_cpu(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    # A hand-made word-level tokenizer keeps this test independent of the GGUF.
    vocab = {"<pad>": 0, "<eos>": 1, "hello": 2, "world": 3, "[UNK]": 4}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", eos_token="<eos>",
                                        unk_token="[UNK]")
    model_dir = build_tiny_causal_lm(tmp_path, tokenizer=tokenizer)
    model, loaded_tokenizer = load_causal_lm(model_dir, device="cpu")
    assert not model.training
    assert model.device.type == "cpu"
    assert model.config.vocab_size == len(loaded_tokenizer) == len(vocab)
    assert loaded_tokenizer("hello world").input_ids == [2, 3]


def test_load_refuses_a_dir_without_a_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_causal_lm(tmp_path)


# Register in pyproject.toml under [tool.pytest.ini_options]:
#     markers = ["slow: converts or runs a real model (about 1-2 minutes on 2 CPU cores)"]
# and skip with `-m "not slow"`.
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_real_conversion_replaces_a_half_written_dir_with_a_working_model(tmp_path):
    target = tmp_path / "smollm2-135m-instruct"
    target.mkdir()
    (target / "model.safetensors").write_bytes(b"truncated")
    assert convert_smollm2(target) == target and is_complete(target)

    model, tokenizer = load_causal_lm(target, device="cpu")
    assert model.config.num_hidden_layers == 30 and model.config.hidden_size == 576
    # Greedy decoding of a fact checks the dequantised weights (a wrong layout gives gibberish).
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
    output = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    assert "Paris" in tokenizer.decode(output[0, inputs["input_ids"].shape[1]:])
