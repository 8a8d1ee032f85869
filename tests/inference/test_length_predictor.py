"""The per-level length baselines and the figures every length predictor is scored by."""

from __future__ import annotations

import pytest

from inference.length_predictor import (LevelBaselinePredictor, LevelMedianPredictor, bucket,
                                        bucket_midpoint, evaluate_lengths, kendall_tau)
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
    # A constant prediction cannot order anything: tau is undefined, not 0.
    assert evaluate_lengths(LevelBaselinePredictor(), rows) == {
        "mae_tokens": 32.5, "bucket_accuracy": 0.5, "kendall_tau": None, "count": 2}


def test_evaluate_lengths_without_output_tokens_reports_nothing() -> None:
    rows = [LabelledCall("a", 4)]
    assert evaluate_lengths(LevelBaselinePredictor(), rows) == {
        "mae_tokens": None, "bucket_accuracy": None, "kendall_tau": None, "count": 0}


def test_kendall_tau_counts_pairs_put_in_the_right_order() -> None:
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert kendall_tau([4, 3, 2, 1], [10, 20, 30, 40]) == pytest.approx(-1.0)
    # 6 pairs: 5 concordant, 1 discordant -> (5 - 1) / 6.
    assert kendall_tau([1, 2, 4, 3], [10, 20, 30, 40]) == pytest.approx(4 / 6)
    assert kendall_tau([5, 5, 5], [1, 2, 3]) is None


def test_the_level_median_baseline_is_one_real_length_per_level() -> None:
    baseline = LevelMedianPredictor.fit([0, 0, 0, 4, 4], [100, 160, 20, 30, 50])
    assert baseline.predict(["x", "y", "z"], [0, 4, 2]) == [100, 40, 50]  # level 2 unseen: overall median
    with pytest.raises(ValueError):
        LevelMedianPredictor.fit([0, 1], [10])
