"""Workload generators: the reference burst, Poisson arrivals, length and priority parsing."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from scheduling.workloads import (
    Const,
    Exponential,
    LogNormal,
    Uniform,
    parse_length_dist,
    parse_priority_mix,
    poisson,
    seed_burst,
)


def _is_numbered_in_order(requests) -> bool:
    keys = [(r.arrival_time_s, r.request_id) for r in requests]
    return keys == sorted(keys) and [r.request_id for r in requests] == list(range(len(requests)))


def _burst(seed: int, **kwargs):
    kwargs = {"user_request_gap_s": 0.01, "max_concurrent_user_requests": 5, **kwargs}
    return seed_burst(random.Random(seed), **kwargs)


def test_seed_burst_puts_epochs_at_multiples_of_the_gap():
    gap = 0.01
    requests = _burst(1, user_request_gap_s=gap, num_epochs=20)
    epochs = {round(r.arrival_time_s / gap) for r in requests}
    assert epochs <= set(range(20))
    for r in requests:
        assert r.arrival_time_s == round(r.arrival_time_s / gap) * gap
    assert _is_numbered_in_order(requests)


def test_seed_burst_counts_per_epoch_cover_zero_to_max():
    max_per_epoch = 3
    requests = _burst(2, max_concurrent_user_requests=max_per_epoch, num_epochs=2000,
                      user_request_gap_s=1.0)
    per_epoch = Counter(r.arrival_time_s for r in requests)
    counts = Counter(per_epoch.get(float(i), 0) for i in range(2000))
    assert set(counts) == {0, 1, 2, 3}  # inclusive of both ends, never above max
    for n in range(4):
        assert counts[n] / 2000 == pytest.approx(0.25, abs=0.04)


def test_seed_burst_draws_reference_priorities_and_lengths():
    requests = _burst(3, max_concurrent_user_requests=50, num_epochs=200)
    assert {r.priority for r in requests} == {0, 1, 2, 3, 4}
    assert min(r.prompt_tokens for r in requests) >= 1
    assert max(r.prompt_tokens for r in requests) <= 499
    assert min(r.output_tokens for r in requests) >= 1
    assert max(r.output_tokens for r in requests) <= 498
    # With ~5000 draws of Uniform{1..499} both ends show up.
    assert min(r.prompt_tokens for r in requests) == 1
    assert max(r.prompt_tokens for r in requests) == 499


def test_same_seed_gives_the_same_workload_and_another_seed_does_not():
    def summary(requests):
        return [(r.request_id, r.arrival_time_s, r.prompt_tokens, r.output_tokens, r.priority)
                for r in requests]

    assert summary(_burst(7)) == summary(_burst(7))
    assert summary(_burst(7)) != summary(_burst(8))
    a = poisson(random.Random(7), rate_per_s=5, num_requests=100)
    b = poisson(random.Random(7), rate_per_s=5, num_requests=100)
    c = poisson(random.Random(8), rate_per_s=5, num_requests=100)
    assert summary(a) == summary(b) != summary(c)


def test_seed_burst_rejects_bad_arguments():
    with pytest.raises(ValueError, match="user_request_gap_s"):
        _burst(1, user_request_gap_s=-1.0)
    with pytest.raises(ValueError, match="max_concurrent_user_requests"):
        _burst(1, max_concurrent_user_requests=-1)
    with pytest.raises(ValueError, match="num_epochs"):
        _burst(1, num_epochs=0)


def test_poisson_mean_gap_is_one_over_rate():
    rate = 4.0
    requests = poisson(random.Random(11), rate_per_s=rate, num_requests=20_000)
    assert len(requests) == 20_000
    assert _is_numbered_in_order(requests)
    gaps = [b.arrival_time_s - a.arrival_time_s for a, b in zip(requests, requests[1:])]
    assert sum(gaps) / len(gaps) == pytest.approx(1 / rate, rel=0.03)
    # Exponential, not e.g. constant: the coefficient of variation is about 1.
    mean = sum(gaps) / len(gaps)
    std = math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps))
    assert std / mean == pytest.approx(1.0, rel=0.05)


def test_poisson_with_duration_stays_inside_it_and_counts_rate_times_duration():
    requests = poisson(random.Random(12), rate_per_s=100.0, duration_s=50.0)
    assert all(0 < r.arrival_time_s < 50.0 for r in requests)
    assert len(requests) == pytest.approx(5000, rel=0.05)
    assert poisson(random.Random(12), rate_per_s=1.0, num_requests=0) == []


@pytest.mark.parametrize("kwargs, problem", [
    ({}, "exactly one of duration_s or num_requests"),
    ({"duration_s": 1.0, "num_requests": 3}, "exactly one of duration_s or num_requests"),
    ({"num_requests": -1}, "num_requests"),
    ({"duration_s": -1.0}, "duration_s"),
])
def test_poisson_rejects_bad_stopping_rules(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        poisson(random.Random(1), rate_per_s=1.0, **kwargs)


def test_poisson_rejects_non_positive_rate():
    with pytest.raises(ValueError, match="rate_per_s"):
        poisson(random.Random(1), rate_per_s=0.0, num_requests=3)


def test_priority_mix_is_respected():
    mix = (0.5, 0.0, 0.3, 0.0, 0.2)
    requests = poisson(random.Random(13), rate_per_s=1.0, num_requests=20_000, priority_mix=mix)
    counts = Counter(r.priority for r in requests)
    assert counts[1] == counts[3] == 0
    for level, weight in enumerate(mix):
        assert counts[level] / 20_000 == pytest.approx(weight, abs=0.015)


def test_priority_mix_applies_to_the_burst_too():
    requests = _burst(14, max_concurrent_user_requests=20, num_epochs=100,
                      priority_mix=(0, 0, 0, 0, 1))
    assert requests and {r.priority for r in requests} == {4}


def test_priority_mix_is_validated_when_passed_directly():
    with pytest.raises(ValueError, match="expected 5 weights"):
        _burst(1, priority_mix=(1.0, 1.0))


@pytest.mark.parametrize("dist, lo, hi", [
    (Uniform(3, 9), 3, 9),
    (Const(7), 7, 7),
    (Exponential(2.0), 1, None),
    (LogNormal(5.0, 2.0), 1, None),
    (LogNormal(0.1, 0.5), 1, None),  # median below one token still gives >= 1
])
def test_length_samples_are_at_least_one_and_within_bounds(dist, lo, hi):
    rng = random.Random(21)
    samples = [dist.sample(rng) for _ in range(5000)]
    assert all(isinstance(s, int) for s in samples)
    assert min(samples) >= lo
    if hi is not None:
        assert max(samples) <= hi


def test_exponential_and_lognormal_hit_their_centre():
    rng = random.Random(22)
    exp = [Exponential(100.0).sample(rng) for _ in range(20_000)]
    assert sum(exp) / len(exp) == pytest.approx(100.5, rel=0.03)  # ceil adds about 0.5
    logn = sorted(LogNormal(200.0, 1.0).sample(rng) for _ in range(20_000))
    assert logn[len(logn) // 2] == pytest.approx(200, rel=0.05)


def test_generators_use_the_given_length_distributions():
    requests = poisson(random.Random(23), rate_per_s=1.0, num_requests=50,
                       prompt_tokens=Const(11), output_tokens=Uniform(2, 3))
    assert {r.prompt_tokens for r in requests} == {11}
    assert {r.output_tokens for r in requests} <= {2, 3}


@pytest.mark.parametrize("text, expected", [
    ("uniform:1:499", Uniform(1, 499)),
    ("const:64", Const(64)),
    ("exp:150", Exponential(150.0)),
    ("lognormal:200:1.5", LogNormal(200.0, 1.5)),
    (" uniform:5:5 ", Uniform(5, 5)),
])
def test_parse_length_dist_accepts_each_form_and_round_trips(text, expected):
    dist = parse_length_dist(text)
    assert dist == expected
    assert parse_length_dist(str(dist)) == dist


@pytest.mark.parametrize("text", [
    "", "uniform", "uniform:1", "uniform:1:2:3", "uniform:a:5", "uniform:1.5:4", "uniform:5:2",
    "uniform:0:5", "const:0", "const:-3", "exp:0", "exp:nan", "lognormal:0:1", "lognormal:5:-1",
    "normal:5:1", "UNIFORM:1:2",
])
def test_parse_length_dist_rejects_bad_text_naming_it_and_the_forms(text):
    with pytest.raises(ValueError) as excinfo:
        parse_length_dist(text)
    message = str(excinfo.value)
    assert repr(text) in message
    assert "uniform:LO:HI" in message and "lognormal:MEDIAN:SIGMA" in message
    assert "\n" not in message


def test_parse_priority_mix_normalises():
    assert parse_priority_mix("0.1,0.2,0.3,0.2,0.2") == pytest.approx((0.1, 0.2, 0.3, 0.2, 0.2))
    assert parse_priority_mix("2, 0, 0, 0, 2") == pytest.approx((0.5, 0, 0, 0, 0.5))


@pytest.mark.parametrize("text, problem", [
    ("1,1,1,1", "expected 5 weights"),
    ("1,1,1,1,1,1", "expected 5 weights"),
    ("0,0,0,0,0", "not all be zero"),
    ("1,-1,1,1,1", ">= 0"),
    ("1,1,x,1,1", "comma-separated numbers"),
    ("1,1,1,1,inf", "finite"),
])
def test_parse_priority_mix_rejects_bad_text(text, problem):
    with pytest.raises(ValueError, match=problem) as excinfo:
        parse_priority_mix(text)
    assert repr(text) in str(excinfo.value)
