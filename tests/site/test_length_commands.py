"""`generate_replies` appends real reply lengths (resumably); `train_length` learns from them."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inference import reply_lengths
from inference.learned_length import LearnedLengthPredictor


@pytest.fixture
def scratch_table(settings, tmp_path, monkeypatch, tiny_lm_dir):
    """Replies from the tiny LM into a table of their own (not the shipped one)."""
    monkeypatch.setattr(reply_lengths, "TABLE_DIR", tmp_path / "lengths")
    monkeypatch.setenv("TRIAGE_BUILD_CACHE", str(tmp_path / "cache"))
    settings.TRIAGE_LM_DIR = tiny_lm_dir
    settings.TRIAGE_LENGTH_MAX_NEW_TOKENS = 4
    return reply_lengths.table_path(tiny_lm_dir.name, 4)


def test_generate_replies_appends_a_seeded_sample_and_extends_it(scratch_table):
    call_command("generate_replies", "--split", "train", "--limit", "3", "--batch-size", "2")
    first = [json.loads(line)["id"] for line in scratch_table.read_text().splitlines()]
    call_command("generate_replies", "--split", "train", "--limit", "5", "--batch-size", "2")
    rows = reply_lengths.read_table(scratch_table)
    assert len(first) == 3 and len(rows) == 5 and [r.id for r in rows][:3] == first  # same sample, extended
    assert all(r.id.startswith("train-") and 1 <= r.output_tokens <= 4 for r in rows)
    texts = reply_lengths.texts_cache_path(scratch_table.stem.rsplit("-cap", 1)[0], 4)
    assert len(texts.read_text().splitlines()) == 5


def test_train_length_learns_from_the_table_and_skips_when_built(scratch_table, settings, tmp_path):
    with pytest.raises(CommandError, match="generate_replies"):
        call_command("train_length", "--out", str(tmp_path / "model"), "--features", "minilm")
    call_command("generate_replies", "--split", "train", "--limit", "24", "--batch-size", "12")
    call_command("train_length", "--out", str(tmp_path / "model"), "--features", "minilm")
    model = LearnedLengthPredictor.load(tmp_path / "model")
    assert model.metadata["rows"] == 24 and model.metadata["features"] == "minilm"
    assert all(1 <= t <= 4 for t in model.predict(["My dad collapsed", "Repeat prescription"], [0, 4]))
    stamp = (tmp_path / "model" / "length.json").stat().st_mtime_ns
    call_command("train_length", "--out", str(tmp_path / "model"), "--if-missing")
    assert (tmp_path / "model" / "length.json").stat().st_mtime_ns == stamp
