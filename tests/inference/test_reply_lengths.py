"""The reply-length table: generated on our engine, resumable, read strictly, joined by call id."""

from __future__ import annotations

import json
import random

import pytest

from inference.model_store import build_tiny_causal_lm, load_causal_lm, smollm2_tokenizer
from inference.reply_lengths import (ReplyLength, ReplyLengthSource, generate_missing, read_table,
                                     with_output_tokens)
from inference.triage.evaluation import LabelledCall

CALLS = [LabelledCall("My dad collapsed and is not breathing.", 0, None, "test-1"),
         LabelledCall("Can I get a repeat prescription?", 4, None, "test-2"),
         LabelledCall("I cut my finger on a knife, it keeps bleeding a bit.", 3, None, "test-3")]


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    directory = build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-lm"), tokenizer=smollm2_tokenizer())
    return load_causal_lm(directory, "cpu")


def test_generation_appends_each_reply_once_and_resumes(tiny_lm, tmp_path):
    model, tokenizer = tiny_lm
    table, texts = tmp_path / "lengths.jsonl", tmp_path / "cache" / "texts.jsonl"
    kwargs = dict(model=model, tokenizer=tokenizer, table=table, texts_cache=texts, max_new_tokens=6, batch_size=2)

    assert generate_missing(CALLS[:2], **kwargs) == 2
    assert generate_missing(CALLS, **kwargs) == 1  # only the new call

    rows = read_table(table)
    assert [r.id for r in rows] == ["test-1", "test-2", "test-3"]
    assert [r.priority for r in rows] == [0, 4, 3]
    assert all(1 <= r.output_tokens <= 6 and r.finish_reason in ("eos", "length") for r in rows)
    assert all((r.output_tokens == 6) == (r.finish_reason == "length") for r in rows)
    assert all(r.prompt_tokens > len(c.text.split()) for r, c in zip(rows, CALLS))
    replies = [json.loads(line) for line in texts.read_text().splitlines()]
    assert [r["id"] for r in replies] == ["test-1", "test-2", "test-3"]  # texts kept beside, not in the table
    assert "reply" not in table.read_text()


def test_rows_without_ids_are_refused(tiny_lm, tmp_path):
    model, tokenizer = tiny_lm
    with pytest.raises(ValueError, match="'id'"):
        generate_missing([LabelledCall("no id", 2)], model=model, tokenizer=tokenizer, table=tmp_path / "t",
                         texts_cache=tmp_path / "x", max_new_tokens=2)


@pytest.mark.parametrize("line, problem", [
    ('{"id": "a", "priority": 1}', "not a reply-length row"),
    ("not json", "not a reply-length row"),
    ('{"id": "a", "priority": 1, "prompt_tokens": 5, "output_tokens": 0, "finish_reason": "eos"}', "bad values"),
    ('{"id": "a", "priority": 1, "prompt_tokens": 5, "output_tokens": 3, "finish_reason": "cut"}', "bad values"),
])
def test_a_malformed_table_line_is_named(tmp_path, line, problem):
    path = tmp_path / "lengths.jsonl"
    path.write_text('{"id": "ok", "priority": 1, "prompt_tokens": 5, "output_tokens": 3, "finish_reason": "eos"}\n'
                    + line + "\n")
    with pytest.raises(ValueError, match=rf"lengths.jsonl:2: {problem}"):
        read_table(path)


def test_lengths_join_by_id_and_a_rows_own_length_wins():
    table = [ReplyLength("test-1", 0, 20, 160, "length"), ReplyLength("test-2", 4, 12, 35, "eos")]
    rows = [CALLS[0], LabelledCall("own", 4, 99, "test-2"), CALLS[2]]
    assert [r.output_tokens for r in with_output_tokens(rows, table)] == [160, 99, None]


def test_simulated_calls_get_their_own_real_length_else_one_of_their_level():
    table = [ReplyLength("test-1", 0, 20, 160, "length"), ReplyLength("test-2", 4, 12, 35, "eos"),
             ReplyLength("x-9", 4, 12, 50, "eos")]
    source = ReplyLengthSource.from_table(table, CALLS)
    rng = random.Random(0)
    assert source.output_tokens(CALLS[0].text, 0, rng) == 160
    assert source.output_tokens(CALLS[1].text, 4, rng) == 35
    assert {source.output_tokens("a new call", 4, rng) for _ in range(50)} == {35, 50}
    assert source.output_tokens("a level with no replies", 2, rng) in {160, 35, 50}
    with pytest.raises(ValueError, match="empty"):
        ReplyLengthSource.from_table([], CALLS)
