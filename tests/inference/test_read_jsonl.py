"""Corpus files load as LabelledCall rows; a bad line is one message naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.triage.evaluation import DatasetError, LabelledCall, read_jsonl

GOOD = '{"id": "a-1", "text": "He is not breathing", "priority": 0}'


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_it_reads_rows_and_skips_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD, "", '{"text": "Sore wrist", "priority": 3, "output_tokens": 120}')
    assert read_jsonl(path) == [LabelledCall("He is not breathing", 0, None, "a-1"),
                                LabelledCall("Sore wrist", 3, 120, None)]


@pytest.mark.parametrize("bad_line, reason", [
    ("{not json", ""),
    ('["a list"]', "JSON object"),
    ('{"text": 5, "priority": 0}', "'text'"),
    ('{"text": "x", "priority": 5}', "'priority'"),
    ('{"text": "x", "priority": true}', "'priority'"),
    ('{"text": "x"}', "'priority'"),
    ('{"text": "x", "priority": 1, "output_tokens": -3}', "'output_tokens'"),
])
def test_a_malformed_line_names_file_and_line(tmp_path: Path, bad_line: str, reason: str) -> None:
    path = _write(tmp_path, GOOD, bad_line)
    with pytest.raises(DatasetError) as caught:
        read_jsonl(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:2: ")
    assert reason in message
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)


def test_the_shipped_corpus_loads() -> None:
    corpus = Path(__file__).resolve().parents[2] / "inference" / "data" / "triage_corpus"
    assert len(read_jsonl(corpus / "validation.jsonl")) == 375
