"""The experiment regimes shared by the goal benchmark and the research report."""

from __future__ import annotations

import math

import pytest

from scheduling import cli
from scheduling.hardware import load_builtin_setting
from scheduling.plan import BatchLimits
from scheduling.regimes import (Regime, goal_regimes, idle_latencies_s, mean_ci95, run_policies,
                                share_of_time_present)
from scheduling.request import Request

SETTING = load_builtin_setting("A100_7B")


def request(request_id: int, prompt: int, output: int, priority: int = 0,
            arrival: float = 0.0, finish: float | None = None) -> Request:
    r = Request(request_id=request_id, arrival_time_s=arrival, prompt_tokens=prompt,
                output_tokens=output, priority=priority)
    r.finish_time_s = finish
    return r


@pytest.mark.parametrize("regime", goal_regimes(num_requests=300), ids=lambda r: r.name)
def test_a_regime_draws_the_same_requests_as_the_command_it_prints(regime):
    args = cli.build_parser("test").parse_args(regime.command(3).split()[3:])
    expected, _ = cli.build_workload(args)
    assert [(r.arrival_time_s, r.prompt_tokens, r.output_tokens, r.priority) for r in expected] == \
        [(r.arrival_time_s, r.prompt_tokens, r.output_tokens, r.priority) for r in regime.requests(3)]
    assert (args.max_num_seqs, args.max_num_batched_tokens) == \
        (regime.limits.max_num_seqs, regime.limits.max_num_batched_tokens)


def test_idle_latency_is_one_prefill_step_then_one_decode_step_per_further_token():
    requests = [request(0, 120, 30, arrival=5.0), request(1, 1, 1), request(2, 499, 498)]
    c1, c2, a, b = SETTING.c1, SETTING.c2, SETTING.prefill_a, SETTING.prefill_b
    expected = [c2 + a * p * p + b * p + sum(c2 + c1 * (p + k) for k in range(1, o))
                for p, o in ((120, 30), (1, 1), (499, 498))]
    assert idle_latencies_s(requests, SETTING, BatchLimits()) == pytest.approx(expected, rel=1e-9)


def test_no_request_is_faster_under_load_than_alone():
    regime = Regime("small", "small burst", "seed-burst", limits=BatchLimits(16, 2048))
    requests = regime.requests(1)[:120]
    for run in run_policies(regime, 1, ["fcfs", "semantic-guard"], requests=requests):
        for priority, ratio in run.class_ratio_per_request.items():
            assert ratio >= 1.0 - 1e-9, (run.policy, priority)
            assert run.ratio_to_idle(priority) >= 1.0 - 1e-9


def test_share_of_time_present_merges_overlapping_stays():
    requests = [request(0, 1, 1, priority=0, arrival=0.0, finish=2.0),
                request(1, 1, 1, priority=0, arrival=1.0, finish=3.0),
                request(2, 1, 1, priority=0, arrival=6.0, finish=7.0),
                request(3, 1, 1, priority=4, arrival=0.0, finish=10.0)]
    assert share_of_time_present(requests, 0) == pytest.approx(4.0 / 10.0)
    assert share_of_time_present(requests, 4) == pytest.approx(1.0)


def test_mean_ci95_uses_students_t():
    mean, half_width = mean_ci95([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mean == 3.0
    assert half_width == pytest.approx(2.776 * math.sqrt(2.5) / math.sqrt(5), rel=1e-6)
    assert mean_ci95([None, 2.0]) == (2.0, None)
    assert mean_ci95([]) == (None, None)
