"""Summaries of hand-built runs whose numbers are known exactly."""

from __future__ import annotations

import json
import time

import pytest

from scheduling.metrics import DEFAULT_SLOS, SLO, parse_slos, summarize
from scheduling.request import Request
from scheduling.result import RunResult, Timeline

GROUP_KEYS = {
    "requests",
    *(f"{stat}_{m}_s" for m in ("latency", "ttft", "tpot", "queueing_delay")
      for stat in ("mean", "p50", "p90", "p99")),
    "max_queueing_delay_s", "goodput_req_s", "slo_attainment", "preemptions",
}
OVERALL_KEYS = GROUP_KEYS | {
    "unfinished", "throughput_req_s", "throughput_tok_s", "makespan_s", "kv_util_mean",
    "kv_util_peak", "mean_batch_tokens", "iterations", "wall_time_s",
}


def make_request(request_id: int, *, priority: int = 0, arrival: float = 0.0,
                 scheduled: float | None = None, first_token: float | None = None,
                 finish: float | None = None, num_out: int = 1, preemptions: int = 0,
                 predicted_priority: int = -1) -> Request:
    request = Request(request_id=request_id, arrival_time_s=arrival, prompt_tokens=10,
                      output_tokens=max(num_out, 1), priority=priority,
                      predicted_priority=predicted_priority)
    request.first_scheduled_time_s = scheduled
    request.first_token_time_s = first_token
    request.finish_time_s = finish
    request.num_output_tokens = num_out
    request.num_preemptions = preemptions
    return request


def make_result(requests: list[Request], timeline: Timeline | None = None, *,
                num_kv_blocks: int = 10, num_preemptions: int = 0) -> RunResult:
    return RunResult(policy="fcfs", requests=requests, timeline=timeline or Timeline(),
                     num_kv_blocks=num_kv_blocks, num_preemptions=num_preemptions,
                     num_iterations=7, wall_time_s=0.5)


def test_it_computes_means_and_linear_percentiles():
    # Latencies 1, 2, 3, 4; queueing 0, 0.5, 1, 1.5; TTFT = queueing + 0.5; TPOT 0.1 for all.
    requests = [
        make_request(i, arrival=0.0, scheduled=0.5 * i, first_token=0.5 * i + 0.5,
                     finish=float(i + 1), num_out=num_out)
        for i, num_out in enumerate([6, 11, 16, 21])
    ]
    overall = summarize(make_result(requests))["overall"]
    assert overall["requests"] == 4
    assert overall["mean_latency_s"] == pytest.approx(2.5)
    assert overall["p50_latency_s"] == pytest.approx(2.5)
    assert overall["p90_latency_s"] == pytest.approx(3.7)
    assert overall["p99_latency_s"] == pytest.approx(3.97)
    assert overall["mean_queueing_delay_s"] == pytest.approx(0.75)
    assert overall["max_queueing_delay_s"] == pytest.approx(1.5)
    assert overall["mean_ttft_s"] == pytest.approx(1.25)
    assert overall["p90_ttft_s"] == pytest.approx(1.85)
    assert overall["mean_tpot_s"] == pytest.approx(0.1)
    assert overall["makespan_s"] == pytest.approx(4.0)
    assert overall["throughput_req_s"] == pytest.approx(1.0)
    num_tokens = sum(r.num_output_tokens for r in requests)
    assert overall["throughput_tok_s"] == pytest.approx(num_tokens / 4.0)


def test_a_request_just_over_its_ttft_slo_fails_goodput():
    requests = [
        make_request(0, priority=0, scheduled=0.0, first_token=1.0, finish=1.0, num_out=1),
        make_request(1, priority=0, scheduled=0.0, first_token=1.001, finish=1.001, num_out=1),
        # TPOT exactly at the P4 target (0.2 s) meets it.
        make_request(2, priority=4, scheduled=0.0, first_token=29.0, finish=29.4, num_out=3),
    ]
    summary = summarize(make_result(requests))
    assert summary["overall"]["slo_attainment"] == pytest.approx(2 / 3)
    assert summary["overall"]["goodput_req_s"] == pytest.approx(2 / 29.4)
    assert summary["per_priority"]["0"]["slo_attainment"] == pytest.approx(0.5)
    assert summary["per_priority"]["0"]["goodput_req_s"] == pytest.approx(1 / 29.4)
    assert summary["per_priority"]["4"]["slo_attainment"] == 1.0


def test_a_slow_tpot_fails_and_custom_slos_apply():
    request = make_request(0, priority=2, scheduled=0.0, first_token=1.0, finish=3.0, num_out=11)
    assert summarize(make_result([request]))["overall"]["slo_attainment"] == 0.0  # TPOT 0.2 > 0.1
    relaxed = parse_slos("2:5:0.25")
    assert summarize(make_result([request]), relaxed)["overall"]["slo_attainment"] == 1.0


def test_kv_utilisation_is_weighted_by_time_held():
    timeline = Timeline()
    timeline.record(0.0, num_waiting=3, num_running=0, num_kv_blocks_used=0, num_batched_tokens=0)
    timeline.record(1.0, num_waiting=0, num_running=2, num_kv_blocks_used=10, num_batched_tokens=20)
    timeline.record(4.0, num_waiting=0, num_running=0, num_kv_blocks_used=10, num_batched_tokens=40)
    request = make_request(0, scheduled=0.0, first_token=1.0, finish=4.0, num_out=1)
    overall = summarize(make_result([request], timeline, num_kv_blocks=10))["overall"]
    assert overall["kv_util_mean"] == pytest.approx(0.75)
    assert overall["kv_util_peak"] == 1.0
    assert overall["mean_batch_tokens"] == pytest.approx(20.0)
    assert overall["iterations"] == 7
    assert overall["wall_time_s"] == 0.5


def test_it_splits_by_true_priority_not_predicted():
    requests = [
        make_request(0, priority=3, predicted_priority=0, scheduled=0.0, first_token=1.0,
                     finish=1.0, preemptions=2),
        make_request(1, priority=1, predicted_priority=1, scheduled=0.0, first_token=2.0,
                     finish=2.0),
    ]
    summary = summarize(make_result(requests, num_preemptions=5))
    assert list(summary["per_priority"]) == ["1", "3"]
    assert summary["per_priority"]["3"]["mean_latency_s"] == pytest.approx(1.0)
    assert summary["per_priority"]["3"]["preemptions"] == 2
    assert summary["overall"]["preemptions"] == 5


def test_unfinished_requests_are_counted_and_left_out_of_latency():
    requests = [
        make_request(0, scheduled=0.0, first_token=0.98, finish=1.0, num_out=2),
        make_request(1, arrival=0.5, scheduled=1.0, first_token=1.5, num_out=1),
        make_request(2, arrival=0.5),
    ]
    overall = summarize(make_result(requests))["overall"]
    assert overall["requests"] == 3
    assert overall["unfinished"] == 2
    assert overall["p99_latency_s"] == pytest.approx(1.0)
    assert overall["mean_ttft_s"] == pytest.approx(0.99)  # a first token counts without a finish
    assert overall["mean_queueing_delay_s"] == pytest.approx(0.25)
    assert overall["slo_attainment"] == pytest.approx(1 / 3)
    assert overall["throughput_req_s"] == pytest.approx(1.0)


def test_the_summary_has_exactly_the_documented_keys_and_dumps_to_json():
    requests = [make_request(i, priority=i % 5, scheduled=0.0, first_token=0.1, finish=0.1)
                for i in range(10)]
    summary = summarize(make_result(requests))
    assert set(summary) == {"overall", "per_priority"}
    assert set(summary["overall"]) == OVERALL_KEYS
    assert list(summary["per_priority"]) == ["0", "1", "2", "3", "4"]
    for group in summary["per_priority"].values():
        assert set(group) == GROUP_KEYS
    assert summary["overall"]["mean_tpot_s"] is None  # one-token outputs have no TPOT
    assert summary["overall"]["kv_util_mean"] is None  # no timeline
    json.dumps(summary, allow_nan=False)


def test_an_empty_run_does_not_crash():
    summary = summarize(make_result([]))
    assert summary["overall"]["requests"] == 0
    assert summary["overall"]["mean_latency_s"] is None
    assert summary["overall"]["throughput_req_s"] is None
    assert summary["per_priority"] == {}


def test_parse_slos_overrides_a_subset_of_the_defaults():
    slos = parse_slos(" 0:0.5:0.02, 4:60:1 ")
    assert slos[0] == SLO(ttft_s=0.5, tpot_s=0.02)
    assert slos[4] == SLO(ttft_s=60.0, tpot_s=1.0)
    assert slos[2] == DEFAULT_SLOS[2]
    assert parse_slos("") == DEFAULT_SLOS


@pytest.mark.parametrize("text", ["0:1", "x:1:0.05", "7:1:0.05", "1:-1:0.05", "1:1:abc"])
def test_parse_slos_names_the_bad_part(text):
    with pytest.raises(ValueError, match=text):
        parse_slos(f"0:1:0.05,{text}")


def test_it_summarises_100k_requests_in_well_under_a_second():
    requests = [
        make_request(i, priority=i % 5, arrival=i * 0.01, scheduled=i * 0.01 + 0.5,
                     first_token=i * 0.01 + 1.0, finish=i * 0.01 + 1.0 + (i % 50) * 0.02,
                     num_out=1 + i % 50)
        for i in range(100_000)
    ]
    timeline = Timeline()
    for i in range(100_000):
        timeline.record(i * 0.01, i % 7, 3, i % 10, 64)
    start = time.perf_counter()
    summary = summarize(make_result(requests, timeline))
    assert time.perf_counter() - start < 0.5
    assert summary["overall"]["requests"] == 100_000
