"""The independent evaluation set loads, is balanced, matches its source, and never leaks into training."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inference.triage.eval_sets import CORPUS_DIR, INDEPENDENT_SET, eval_set_paths, read_independent_set
from inference.triage.evaluation import DatasetError


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_it_loads_fifty_calls_per_level_with_unique_ids_and_texts() -> None:
    rows = read_independent_set()
    assert len(rows) == 250
    assert len({row.id for row in rows}) == 250 and len({row.text for row in rows}) == 250
    assert eval_set_paths()["independent"] == INDEPENDENT_SET


def test_a_file_that_lost_its_balance_is_refused(tmp_path: Path) -> None:
    lines = INDEPENDENT_SET.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "independent.jsonl"
    broken.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="50 calls per level"):
        read_independent_set(broken)


def test_the_file_is_what_its_hand_written_source_builds() -> None:
    build = INDEPENDENT_SET.parent / "build.py"
    assert subprocess.run([sys.executable, str(build), "--check"], timeout=60).returncode == 0


def test_no_independent_call_is_in_the_training_corpus() -> None:
    corpus = {_normalised(json.loads(line)["text"])
              for name in ("train.jsonl", "validation.jsonl", "test.jsonl")
              for line in (CORPUS_DIR / name).read_text(encoding="utf-8").splitlines() if line.strip()}
    leaked = [row.id for row in read_independent_set() if _normalised(row.text) in corpus]
    assert leaked == []
