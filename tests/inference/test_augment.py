"""Noisy training copies keep the level, differ from the original, and are reproducible."""

from __future__ import annotations

import random

import pytest

from inference.triage.augment import augment, misspell, noisy
from inference.triage.evaluation import LabelledCall

ROWS = [LabelledCall("My husband has collapsed. He isn't breathing! Please hurry.", 0, id="a"),
        LabelledCall("I've got a splinter in my finger, can I come in to get it out?", 4, id="b")]


def test_copies_follow_the_originals_with_the_same_level_and_suffixed_ids() -> None:
    out = augment(ROWS, 2, random.Random(0))
    assert out[:2] == ROWS and len(out) == 6
    assert [row.priority for row in out[2:]] == [0, 4, 0, 4]
    assert [row.id for row in out[2:]] == ["a~1", "b~1", "a~2", "b~2"]


def test_augmenting_is_reproducible_and_zero_copies_is_the_identity() -> None:
    assert augment(ROWS, 1, random.Random(3)) == augment(ROWS, 1, random.Random(3))
    assert augment(ROWS, 0, random.Random(3)) == ROWS
    with pytest.raises(ValueError):
        augment(ROWS, -1, random.Random(3))


def test_noise_changes_the_text_but_keeps_most_of_its_words() -> None:
    rng = random.Random(1)
    text = ROWS[0].text
    variants = [noisy(text, rng) for _ in range(50)]
    assert sum(v != text for v in variants) >= 45
    original = set(text.lower().replace("'", "").strip(".!?").split())
    for variant in variants:
        kept = original & {w.strip(".,!?") for w in variant.lower().split()}
        assert len(kept) >= len(original) // 2
    assert any(v == v.lower() and "." not in v for v in variants)  # some read as transcripts


def test_a_slip_changes_one_letter_and_leaves_short_words_alone() -> None:
    rng = random.Random(2)
    assert misspell("no", rng) == "no"
    slipped = [misspell("breathing", rng) for _ in range(40)]
    assert all(abs(len(s) - len("breathing")) <= 1 for s in slipped)
    assert sum(s != "breathing" for s in slipped) >= 30
