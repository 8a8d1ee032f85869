"""Predictor latency and error injection: rates realised, priorities kept in 0..4, lengths >= 1."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from scheduling.predictors import (
    GIVEN_PREDICTIONS_KEY,
    PredictorConfig,
    apply_predictions,
    ready_time_s,
)
from scheduling.request import Request


def _requests(n: int, priority: int | None = None, output_tokens: int = 100) -> list[Request]:
    return [Request(request_id=i, arrival_time_s=float(i), prompt_tokens=10,
                    output_tokens=output_tokens,
                    priority=i % 5 if priority is None else priority)
            for i in range(n)]


def test_zero_rates_leave_predictions_equal_to_truth():
    requests = _requests(500)
    for r in requests:  # stale predictions from an earlier run are replaced
        r.predicted_priority, r.predicted_output_tokens = 0, 1
    apply_predictions(requests, PredictorConfig(), random.Random(1))
    assert all(r.predicted_priority == r.priority for r in requests)
    assert all(r.predicted_output_tokens == r.output_tokens for r in requests)


def test_priority_error_rate_is_realised_and_each_error_is_one_level():
    requests = _requests(20_000)
    apply_predictions(requests, PredictorConfig(priority_error_rate=0.2), random.Random(2))
    wrong = [r for r in requests if r.predicted_priority != r.priority]
    assert len(wrong) / len(requests) == pytest.approx(0.2, abs=0.01)
    assert all(abs(r.predicted_priority - r.priority) == 1 for r in wrong)
    assert all(0 <= r.predicted_priority <= 4 for r in requests)
    # Inside the range, up and down are equally likely.
    middle = Counter(r.predicted_priority - r.priority for r in wrong if 0 < r.priority < 4)
    assert middle[1] / (middle[1] + middle[-1]) == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize("level, mispredicted", [(0, 1), (4, 3)])
def test_errors_reflect_at_the_edges(level, mispredicted):
    requests = _requests(200, priority=level)
    apply_predictions(requests, PredictorConfig(priority_error_rate=1.0), random.Random(3))
    assert {r.predicted_priority for r in requests} == {mispredicted}


def test_rate_one_always_mispredicts_by_exactly_one_level():
    requests = _requests(1000)
    apply_predictions(requests, PredictorConfig(priority_error_rate=1.0), random.Random(4))
    assert all(abs(r.predicted_priority - r.priority) == 1 for r in requests)
    assert all(0 <= r.predicted_priority <= 4 for r in requests)


def test_length_error_is_relative_and_within_the_rate():
    requests = _requests(20_000, output_tokens=1000)
    apply_predictions(requests, PredictorConfig(length_error_rate=0.3), random.Random(5))
    ratios = [r.predicted_output_tokens / r.output_tokens for r in requests]
    assert min(ratios) >= 0.7 and max(ratios) <= 1.3
    assert min(ratios) < 0.72 and max(ratios) > 1.28  # the whole band is used
    assert sum(ratios) / len(ratios) == pytest.approx(1.0, abs=0.01)
    assert all(r.predicted_priority == r.priority for r in requests)  # lengths only


def test_length_predictions_never_drop_below_one():
    requests = _requests(2000, output_tokens=1) + _requests(2000, output_tokens=3)
    apply_predictions(requests, PredictorConfig(length_error_rate=1.0), random.Random(6))
    assert min(r.predicted_output_tokens for r in requests) == 1


def test_repeated_application_does_not_compound_errors():
    requests = _requests(2000, output_tokens=1000)
    config = PredictorConfig(priority_error_rate=0.5, length_error_rate=0.1)
    for seed in range(5):
        apply_predictions(requests, config, random.Random(seed))
    assert all(abs(r.predicted_priority - r.priority) <= 1 for r in requests)
    assert all(900 <= r.predicted_output_tokens <= 1100 for r in requests)


def test_same_seed_same_predictions_and_higher_rate_only_adds_errors():
    low, again, high = _requests(3000), _requests(3000), _requests(3000)
    apply_predictions(low, PredictorConfig(priority_error_rate=0.1), random.Random(7))
    apply_predictions(again, PredictorConfig(priority_error_rate=0.1), random.Random(7))
    apply_predictions(high, PredictorConfig(priority_error_rate=0.3), random.Random(7))
    assert [r.predicted_priority for r in low] == [r.predicted_priority for r in again]
    wrong_low = {r.request_id for r in low if r.predicted_priority != r.priority}
    wrong_high = {r.request_id for r in high if r.predicted_priority != r.priority}
    assert wrong_low < wrong_high


def test_given_predictions_are_kept_unless_told_otherwise():
    given, overwritten = _requests(50), _requests(50)
    for r in given + overwritten:
        r.predicted_priority = 4 - r.priority
        r.predicted_output_tokens = 7
        r.extra[GIVEN_PREDICTIONS_KEY] = frozenset({"predicted_priority"})
    config = PredictorConfig(priority_error_rate=1.0)
    apply_predictions(given, config, random.Random(8))
    assert all(r.predicted_priority == 4 - r.priority for r in given)
    assert all(r.predicted_output_tokens == r.output_tokens for r in given)  # not given: redone
    apply_predictions(overwritten, config, random.Random(8), keep_given=False)
    assert all(abs(r.predicted_priority - r.priority) == 1 for r in overwritten)


def test_ready_time_adds_the_predictor_latency():
    (request,) = _requests(1)
    request.arrival_time_s = 2.5
    assert ready_time_s(request, PredictorConfig(latency_s=0.25)) == 2.75
    assert ready_time_s(request, PredictorConfig()) == 2.5


@pytest.mark.parametrize("kwargs, field", [
    ({"latency_s": -0.1}, "latency_s"),
    ({"latency_s": float("inf")}, "latency_s"),
    ({"priority_error_rate": 1.5}, "priority_error_rate"),
    ({"priority_error_rate": -0.1}, "priority_error_rate"),
    ({"length_error_rate": float("nan")}, "length_error_rate"),
    ({"length_error_rate": 2.0}, "length_error_rate"),
])
def test_config_rejects_bad_values_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        PredictorConfig(**kwargs)
