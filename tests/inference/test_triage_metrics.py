"""Confusion-matrix metrics agree with figures worked out by hand."""

from __future__ import annotations

import pytest

from inference.triage.evaluation import (accuracy, argmax, confusion_matrix, macro_f1,
                                         over_triage_rate, per_level, triage_metrics,
                                         under_triage_rate)

# true:      0  0  1  1  2  3  4  4
# predicted: 0  1  1  0  2  4  4  3
TRUE = [0, 0, 1, 1, 2, 3, 4, 4]
PREDICTED = [0, 1, 1, 0, 2, 4, 4, 3]
EXPECTED = [
    [1, 1, 0, 0, 0],
    [1, 1, 0, 0, 0],
    [0, 0, 1, 0, 0],
    [0, 0, 0, 0, 1],
    [0, 0, 0, 1, 1],
]


def test_confusion_rows_are_true_levels_and_columns_predictions() -> None:
    assert confusion_matrix(TRUE, PREDICTED) == EXPECTED


def test_accuracy_and_macro_f1_match_hand_computation() -> None:
    # Correct: 4 of 8. F1 per level: 1/2, 1/2, 1, 0, 1/2 -> mean 2.5 / 5.
    assert accuracy(EXPECTED) == pytest.approx(0.5)
    assert macro_f1(EXPECTED) == pytest.approx(0.5)
    level0 = per_level(EXPECTED)[0]
    assert (level0["precision"], level0["recall"], level0["support"]) == (0.5, 0.5, 2)


def test_under_triage_counts_predictions_less_urgent_than_truth() -> None:
    # 0 -> 1 and 3 -> 4 are under-triaged: 2 of 8; among true 0-1 calls: 1 of 4.
    assert under_triage_rate(EXPECTED) == pytest.approx(0.25)
    assert under_triage_rate(EXPECTED, (0, 1)) == pytest.approx(0.25)


def test_over_triage_counts_predictions_more_urgent_than_truth() -> None:
    # 1 -> 0 and 4 -> 3: 2 of 8.
    assert over_triage_rate(EXPECTED) == pytest.approx(0.25)


def test_a_perfect_classifier_scores_one_and_never_mistriages() -> None:
    metrics = triage_metrics([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
    assert metrics["accuracy"] == metrics["macro_f1"] == 1.0
    assert metrics["under_triage_rate_critical"] == metrics["over_triage_rate"] == 0.0


def test_levels_never_predicted_score_zero_not_nan() -> None:
    metrics = triage_metrics([0, 0], [1, 1])
    assert metrics["macro_f1"] == 0.0
    assert metrics["under_triage_rate_critical"] == 1.0


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="2 true levels but 1 predictions"):
        confusion_matrix([0, 1], [0])


def test_argmax_ties_go_to_the_more_urgent_level() -> None:
    assert argmax([0.1, 0.1, 0.1, 0.35, 0.35]) == 3
