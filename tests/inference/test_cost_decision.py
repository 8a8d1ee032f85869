"""The cost-sensitive decision leans urgent as far as the costs say; temperature scaling calibrates."""

from __future__ import annotations

import random

import pytest

from inference.triage.decision import (CostSensitiveDecision, cost_matrix, expected_calibration_error,
                                       fit_temperature, negative_log_likelihood, temperature_scale)


def test_the_cost_matrix_charges_critical_under_triage_most() -> None:
    costs = cost_matrix(critical_under=8, under=2, over=1)
    assert all(costs[k][k] == 0 for k in range(5))
    assert costs[0][1] == 8 and costs[1][3] == 16      # true 0-1 acted on as less urgent
    assert costs[2][3] == 2 and costs[2][4] == 4       # other under-triage
    assert costs[3][2] == 1 and costs[4][0] == 4       # over-triage, per level of distance


def test_equal_costs_act_on_the_most_likely_level_and_a_confident_call_is_left_alone() -> None:
    symmetric = CostSensitiveDecision(cost_matrix(critical_under=1, under=1, over=1))
    assert symmetric.apply([0.1, 0.2, 0.5, 0.1, 0.1]) == 2
    assert CostSensitiveDecision().apply([0.0, 0.01, 0.97, 0.01, 0.01]) == 2


def test_a_plausible_critical_level_pulls_the_decision_urgent() -> None:
    probabilities = [0.0, 0.25, 0.75, 0.0, 0.0]           # 25% emergent, 75% urgent
    assert CostSensitiveDecision(cost_matrix(critical_under=1)).apply(probabilities) == 2
    assert CostSensitiveDecision(cost_matrix(critical_under=8)).apply(probabilities) == 1
    # 8 per level against 1: level 1 is chosen once p(1) * 8 > p(2) * 1, i.e. above 1/9.
    eight = CostSensitiveDecision(cost_matrix(critical_under=8, under=2, over=1))
    assert eight.apply([0.0, 0.10, 0.90, 0.0, 0.0]) == 2
    assert eight.apply([0.0, 0.12, 0.88, 0.0, 0.0]) == 1
    # The default, 4 against 1: above 1/5.
    assert CostSensitiveDecision().apply([0.0, 0.18, 0.82, 0.0, 0.0]) == 2
    assert CostSensitiveDecision().apply([0.0, 0.22, 0.78, 0.0, 0.0]) == 1


def test_more_weight_on_critical_under_triage_never_makes_a_decision_less_urgent() -> None:
    rng = random.Random(0)
    for _ in range(200):
        raw = [rng.random() ** 3 for _ in range(5)]
        p = [x / sum(raw) for x in raw]
        levels = [CostSensitiveDecision(cost_matrix(critical_under=w)).apply(p) for w in (1, 2, 4, 8, 16)]
        assert levels == sorted(levels, reverse=True)


def test_the_cost_matrix_must_be_five_by_five() -> None:
    with pytest.raises(ValueError):
        CostSensitiveDecision(((0.0, 1.0), (1.0, 0.0)))


def test_temperature_keeps_the_order_and_softens() -> None:
    p = (0.7, 0.2, 0.05, 0.03, 0.02)
    soft = temperature_scale(p, 2.0)
    assert sorted(range(5), key=lambda k: -soft[k]) == sorted(range(5), key=lambda k: -p[k])
    assert soft[0] < p[0] and abs(sum(soft) - 1) < 1e-9
    assert temperature_scale(p, 1.0) == pytest.approx(p)


def test_fitting_recovers_the_temperature_of_over_confident_probabilities() -> None:
    """Labels drawn from honest probabilities; the model reports them sharpened (T = 1/3):
    the fit must find T near 3 and lower both the likelihood loss and the calibration error."""
    rng = random.Random(1)
    sharp, true = [], []
    for _ in range(3000):
        raw = [rng.random() + 0.05 for _ in range(5)]
        honest = [x / sum(raw) for x in raw]
        true.append(rng.choices(range(5), weights=honest)[0])
        sharp.append(temperature_scale(honest, 1 / 3))
    t = fit_temperature(sharp, true)
    assert 2.5 < t < 3.6
    assert negative_log_likelihood(sharp, true, t) < negative_log_likelihood(sharp, true, 1.0)
    calibrated = [temperature_scale(p, t) for p in sharp]
    assert expected_calibration_error(calibrated, true) < expected_calibration_error(sharp, true) / 2


def test_training_chooses_the_matrix_that_reaches_the_target_with_the_least_over_triage() -> None:
    from inference.triage.decision import choose_costs

    # Call A: 30% emergent, 70% urgent, truly emergent. Call B: 30% emergent, truly urgent.
    probabilities = [[0.0, 0.3, 0.7, 0.0, 0.0], [0.0, 0.3, 0.7, 0.0, 0.0], [0.0, 0.0, 0.1, 0.9, 0.0]]
    true = [1, 2, 3]
    costs, trade = choose_costs(probabilities, true, [None, None, None], target_critical_under=0.0)
    assert costs["critical_under"] >= 4     # weights 1-2 leave call A under-triaged
    chosen = next(t for t in trade if t["critical_under"] == costs["critical_under"]
                  and t["under"] == costs["under"])
    assert chosen["under_triage_rate_critical"] == 0.0
    assert chosen["over_triage_rate"] == min(t["over_triage_rate"] for t in trade
                                             if t["under_triage_rate_critical"] == 0.0)
    # A red flag on call A reaches the target alone: the mildest matrix is enough.
    costs, _ = choose_costs(probabilities, true, [1, None, None], target_critical_under=0.0)
    assert costs == {"critical_under": 1.0, "under": 1.0, "over": 1.0}
