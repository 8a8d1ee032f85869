"""The baseline length predictor answers in 50-token bucket midpoints, longer for urgent calls."""

from __future__ import annotations

import pytest

from inference.length_predictor import (LevelBaselinePredictor, bucket, bucket_midpoint,
                                        evaluate_lengths)
from inference.triage.evaluation import LabelledCall


def test_bucket_edges() -> None:
    assert [bucket(t) for t in (0, 49, 50, 99, 100)] == [0, 0, 1, 1, 2]
    assert bucket_midpoint(0) == 25 and bucket_midpoint(3) == 175
    with pytest.raises(ValueError):
        bucket(-1)


def test_more_urgent_levels_get_longer_replies() -> None:
    predictor = LevelBaselinePredictor()
    predicted = predictor.predict(["My son is choking."] * 5, [0, 1, 2, 3, 4])
    assert predicted == sorted(predicted, reverse=True)
    assert predicted[0] > predicted[4]
    assert all(p % 50 == 25 for p in predicted)


def test_longer_transcripts_add_a_capped_amount() -> None:
    # Level 4 base 90 tokens: 1 word -> 90.5 -> bucket 1 (75); 100 words -> 140 -> 125;
    # 3000 words -> capped at +100 -> 190 -> 175; 5000 words is the same.
    predicted = LevelBaselinePredictor().predict(
        ["a", "a " * 100, "a " * 3000, "a " * 5000], [4, 4, 4, 4])
    assert predicted == [75, 125, 175, 175]


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="2 texts but 1 priorities"):
        LevelBaselinePredictor().predict(["a", "b"], [0])


def test_evaluate_lengths_uses_only_rows_with_output_tokens() -> None:
    rows = [LabelledCall("a", 4, 75), LabelledCall("a", 4, 140), LabelledCall("a", 0, None)]
    # Both predicted 75: errors 0 and 65; buckets 1 == 1 and 1 != 2.
    assert evaluate_lengths(LevelBaselinePredictor(), rows) == {
        "mae_tokens": 32.5, "bucket_accuracy": 0.5, "count": 2}


def test_evaluate_lengths_without_output_tokens_reports_nothing() -> None:
    rows = [LabelledCall("a", 4)]
    assert evaluate_lengths(LevelBaselinePredictor(), rows) == {
        "mae_tokens": None, "bucket_accuracy": None, "count": 0}
