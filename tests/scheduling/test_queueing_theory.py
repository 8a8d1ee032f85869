"""The simulator reproduces exact queueing results on a one-token-per-step server.

With c1 = a = b = 0 and one seat, every step is one token of one request and costs
c2, so a request with o output tokens is a job of service time o * c2 (the prefill
step emits the first token). Poisson arrivals and ceil(Exp) (geometric) lengths then
make an M/G/1 queue, whose answers are known exactly:
- FCFS: Lindley's recursion, per request; Pollaczek-Khinchine for the mean;
- preemptive-resume priority (pjf, swap with free reload): the classic per-class formula,
  and the urgent class behaves as if alone, to within one token;
- non-preemptive priority (vllm-priority): Cobham's per-class formula.

Means are compared with the formulas evaluated at the sample's own arrival rate and
service moments, which removes most of the sampling noise; over seeds 0-7 the
remaining error was at most 1.5%, against tolerances of 3% (FCFS) and 5% (classes).
"""

from __future__ import annotations

import math
import random

import pytest

from scheduling import workloads
from scheduling.hardware import HardwareSetting, setting_from_mapping
from scheduling.plan import BatchLimits
from scheduling.policies import make_policy
from scheduling.request import Request
from scheduling.simulator import simulate

C2 = 0.01
"""Seconds per token; the mean job (about 100 tokens) is 100x longer, so preempting only at
token boundaries is a small effect."""
MEAN_TOKENS = 100.0
LIMITS = BatchLimits(max_num_seqs=1, max_num_batched_tokens=64)
URGENT, ROUTINE = 0, 4
TWO_CLASSES = (0.5, 0.0, 0.0, 0.0, 0.5)


def token_clock_setting(preemption_mode: str = "swap") -> HardwareSetting:
    return setting_from_mapping({
        "name": "token-clock", "gpu_memory_gib": 1000.0, "num_params_b": 1.0, "hidden_size": 64,
        "num_layers": 1, "c1": 0.0, "c2": C2, "prefill_a": 0.0, "prefill_b": 0.0,
        "kv_reload_s_per_token": 0.0, "preemption_mode": preemption_mode,
    })


def geometric_moments(mean: float) -> tuple[float, float]:
    """E[N], E[N^2] of N = ceil(Exp(mean)): P(N = k) = q^(k-1) (1 - q), q = exp(-1 / mean)."""
    q = math.exp(-1.0 / mean)
    return 1.0 / (1.0 - q), (1.0 + q) / (1.0 - q) ** 2


def make_workload(seed: int, rho: float, num_requests: int,
                  priority_mix: tuple[float, ...] | None = None) -> list[Request]:
    mean_service_s = geometric_moments(MEAN_TOKENS)[0] * C2
    return workloads.poisson(random.Random(seed), rate_per_s=rho / mean_service_s,
                             num_requests=num_requests, priority_mix=priority_mix,
                             prompt_tokens=workloads.Const(1),
                             output_tokens=workloads.Exponential(MEAN_TOKENS))


def class_stats(requests: list[Request], span_s: float) -> tuple[float, float, float]:
    """(arrival rate, E[S], E[S^2]) of ``requests`` as sampled."""
    services = [r.output_tokens * C2 for r in requests]
    n = len(services)
    return n / span_s, math.fsum(services) / n, math.fsum(s * s for s in services) / n


def mean_latency_s(requests: list[Request]) -> float:
    return math.fsum(r.latency_s for r in requests) / len(requests)


def test_a_lone_request_takes_one_step_per_token():
    request = Request(request_id=0, arrival_time_s=1.0, prompt_tokens=1, output_tokens=37,
                      priority=2)
    (done,) = simulate([request], token_clock_setting(), make_policy("fcfs"), LIMITS).requests
    assert done.first_token_time_s == pytest.approx(1.0 + C2, abs=1e-12)
    assert done.finish_time_s == pytest.approx(1.0 + 37 * C2, abs=1e-9)


def test_the_workload_lengths_are_geometric():
    requests = make_workload(seed=0, rho=0.5, num_requests=40_000)
    mean_n, mean_n2 = geometric_moments(MEAN_TOKENS)
    tokens = [r.output_tokens for r in requests]
    assert math.fsum(tokens) / len(tokens) == pytest.approx(mean_n, rel=0.02)
    assert math.fsum(t * t for t in tokens) / len(tokens) == pytest.approx(mean_n2, rel=0.04)


def test_fcfs_matches_lindley_per_request_and_pollaczek_khinchine_on_average():
    rho = 0.55
    requests = make_workload(seed=1, rho=rho, num_requests=60_000)
    result = simulate(requests, token_clock_setting(), make_policy("fcfs"), LIMITS)
    done = sorted(result.requests, key=lambda r: r.request_id)

    # Lindley: each job starts when it arrives or when the previous one leaves, whichever is later.
    server_free_at = 0.0
    worst_error_s = 0.0
    for request in done:
        start = max(request.arrival_time_s, server_free_at)
        server_free_at = start + request.output_tokens * C2
        worst_error_s = max(worst_error_s, abs(request.first_scheduled_time_s - start),
                            abs(request.finish_time_s - server_free_at))
    assert worst_error_s < 1e-9
    assert result.num_preemptions == 0

    rate, mean_s, mean_s2 = class_stats(done, done[-1].arrival_time_s)
    load = rate * mean_s
    assert load == pytest.approx(rho, rel=0.03)
    expected = mean_s + rate * mean_s2 / (2 * (1 - load))  # Pollaczek-Khinchine
    assert mean_latency_s(done) == pytest.approx(expected, rel=0.03)
    # Geometric lengths are nearly exponential: close to the M/M/1 answer 1 / (mu - lambda).
    assert expected == pytest.approx(1 / (1 / mean_s - rate), rel=0.01)


@pytest.fixture(scope="module")
def two_class_workload() -> list[Request]:
    return make_workload(seed=2, rho=0.5, num_requests=60_000, priority_mix=TWO_CLASSES)


@pytest.fixture(scope="module")
def preemptive_result(two_class_workload):
    return simulate(two_class_workload, token_clock_setting("swap"), make_policy("pjf"), LIMITS)


def _per_class(requests: list[Request]) -> tuple[list[list[Request]], list[tuple[float, float, float]]]:
    span_s = max(r.arrival_time_s for r in requests)
    classes = [[r for r in requests if r.priority == p] for p in (URGENT, ROUTINE)]
    return classes, [class_stats(c, span_s) for c in classes]


def test_preemptive_priority_matches_the_preemptive_resume_formula(preemptive_result):
    result = preemptive_result
    classes, stats = _per_class(result.requests)
    assert result.num_preemptions > 1000
    sigma = 0.0
    residual = 0.0
    for members, (rate, mean_s, mean_s2) in zip(classes, stats):
        before = sigma
        sigma += rate * mean_s
        residual += rate * mean_s2 / 2
        expected = mean_s / (1 - before) + residual / ((1 - before) * (1 - sigma))
        assert mean_latency_s(members) == pytest.approx(expected, rel=0.05)


def test_under_preemptive_priority_the_urgent_class_is_delayed_by_at_most_one_token(
        two_class_workload, preemptive_result):
    mixed = preemptive_result
    urgent = [r for r in two_class_workload if r.priority == URGENT]
    alone = simulate(urgent, token_clock_setting("swap"), make_policy("fcfs"), LIMITS)
    latency_alone = {r.request_id: r.latency_s for r in alone.requests}
    delays = [r.latency_s - latency_alone[r.request_id]
              for r in mixed.requests if r.priority == URGENT]
    assert min(delays) >= -1e-9
    assert max(delays) <= C2 + 1e-9
    assert max(delays) > C2 / 2  # the routine class did get in the way, and was displaced


def test_non_preemptive_priority_matches_cobhams_formula(two_class_workload):
    result = simulate(two_class_workload, token_clock_setting("swap"),
                      make_policy("vllm-priority"), LIMITS)
    classes, stats = _per_class(result.requests)
    assert result.num_preemptions == 0
    residual = sum(rate * mean_s2 / 2 for rate, _, mean_s2 in stats)  # of whoever is in service
    sigma = 0.0
    for members, (rate, mean_s, _) in zip(classes, stats):
        before = sigma
        sigma += rate * mean_s
        expected = mean_s + residual / ((1 - before) * (1 - sigma))
        assert mean_latency_s(members) == pytest.approx(expected, rel=0.05)
    # Every job runs uninterrupted: start to finish is exactly its service time.
    assert max(abs(r.finish_time_s - r.first_scheduled_time_s - r.output_tokens * C2)
               for r in result.requests) < 1e-9
