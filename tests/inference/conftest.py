"""Fixtures for the inference tests: a classifier trained on the tiny encoder of tests/conftest.py,
and a tiny random causal LM for the calibration and fidelity tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from inference.triage.evaluation import LabelledCall, read_jsonl
from inference.triage.training import DEFAULT_CORPUS_DIR, train_encoder_classifier


def _balanced(rows: list[LabelledCall], per_level: int) -> list[LabelledCall]:
    """The first ``per_level`` rows of each level, in file order."""
    picked: list[LabelledCall] = []
    for level in range(5):
        picked += [r for r in rows if r.priority == level][:per_level]
    return picked


@pytest.fixture(scope="session")
def tiny_training(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> dict[str, Any]:
    """One epoch on 40 corpus rows: seconds, yet the same code path as the real training."""
    train = _balanced(read_jsonl(DEFAULT_CORPUS_DIR / "train.jsonl"), 8)
    validation = _balanced(read_jsonl(DEFAULT_CORPUS_DIR / "validation.jsonl"), 2)
    out_dir = tmp_path_factory.mktemp("artefact") / "tiny"
    metrics = train_encoder_classifier(train, validation, out_dir, base_encoder_dir=tiny_encoder_dir,
                                       epochs=1, batch_size=8, name="tiny-ft",
                                       corpus_files=[DEFAULT_CORPUS_DIR / "train.jsonl"])
    return {"metrics": metrics, "artefact_dir": out_dir, "validation": validation}


@pytest.fixture(scope="session")
def tiny_model() -> LlamaForCausalLM:
    """A seeded 2-layer Llama that never ends early (no end-of-sequence token)."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=256, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         bos_token_id=None, eos_token_id=None, pad_token_id=0)
    model = LlamaForCausalLM(config).eval()
    model.generation_config.eos_token_id = None
    return model
