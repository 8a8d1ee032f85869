"""The safety rule rounds uncertain calls towards urgent and leaves confident ones alone."""

from __future__ import annotations

import pytest

from inference.triage.safety import SafetyRule, apply_safety_rule, choose_safety_rule

RULE = SafetyRule(threshold=0.6, floor=0.2)


def test_confident_prediction_is_untouched() -> None:
    assert RULE.apply([0.05, 0.05, 0.8, 0.05, 0.05]) == 2
    assert RULE.apply([0.02, 0.3, 0.0, 0.0, 0.68]) == 4


def test_uncertain_call_goes_to_most_urgent_plausible_level() -> None:
    assert RULE.apply([0.3, 0.1, 0.5, 0.05, 0.05]) == 0
    assert RULE.apply([0.1, 0.25, 0.25, 0.4, 0.0]) == 1


def test_levels_below_the_floor_are_ignored() -> None:
    assert RULE.apply([0.15, 0.15, 0.4, 0.15, 0.15]) == 2


def test_never_less_urgent_than_the_argmax() -> None:
    assert SafetyRule(threshold=0.9, floor=0.3).apply([0.1, 0.15, 0.25, 0.25, 0.25]) == 2


def test_the_function_form_uses_the_default_rule() -> None:
    assert apply_safety_rule([0.3, 0.1, 0.5, 0.05, 0.05]) == 0
    assert apply_safety_rule([0.3, 0.1, 0.5, 0.05, 0.05], threshold=0.4) == 2


def test_threshold_zero_switches_the_rule_off() -> None:
    assert SafetyRule(threshold=0.0).apply([0.3, 0.1, 0.5, 0.05, 0.05]) == 2


@pytest.mark.parametrize("threshold, floor", [(1.5, 0.2), (float("nan"), 0.2), (0.6, 0.0)])
def test_bad_parameters_are_refused(threshold: float, floor: float) -> None:
    with pytest.raises(ValueError):
        SafetyRule(threshold=threshold, floor=floor)


def test_choice_on_validation_cuts_critical_under_triage_within_over_triage_budget() -> None:
    confident = [[0.9 if k == level else 0.025 for k in range(5)] for level in range(5)] * 10
    unsure_arrest = [0.35, 0.05, 0.55, 0.025, 0.025]  # a level-0 call the argmax calls 2
    probabilities = confident + [unsure_arrest] * 2
    true = [level for _ in range(10) for level in range(5)] + [0, 0]
    rule = choose_safety_rule(probabilities, true)
    assert rule.apply(unsure_arrest) == 0
    assert all(rule.apply(p) == t for p, t in zip(confident, true))
