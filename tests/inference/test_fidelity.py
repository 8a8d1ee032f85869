"""Fidelity: the trace, the real replay and the comparison. With engine steps that take exactly
the simulator's modelled time (a fake clock), the two sides must agree request by request."""

from __future__ import annotations

import collections
import dataclasses

import pytest

from inference.engine.torch_executor import TorchExecutor
from inference.fidelity import (Outcome, TraceCall, build_trace, compare, format_rows, run_fidelity)
from inference.triage.evaluation import LabelledCall
from scheduling.hardware import setting_from_mapping
from scheduling.plan import BatchLimits
from scheduling.step_time import StepTimeModel

SETTING = setting_from_mapping({
    "name": "exact", "gpu_memory_gib": 1.0, "num_params_b": 0.001, "hidden_size": 32, "num_layers": 2,
    "kv_hidden_size": 16, "c1": 2e-5, "c2": 0.01, "prefill_a": 1e-6, "prefill_b": 2e-4,
    "kv_reload_s_per_token": 0.0, "block_size": 16, "preemption_mode": "recompute"})


def corpus(num_calls: int) -> list[LabelledCall]:
    return [LabelledCall(f"call {i} " + "word " * (i % 7), i % 5) for i in range(num_calls)]


def fake_tokenize(text: str) -> list[int]:
    return [3 + (ord(ch) % 200) for ch in text]


class ModelClock:
    """Time stands still except while the executor runs a plan (it then takes exactly the
    simulator's step time) and while the replay sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def model_clock(monkeypatch) -> ModelClock:
    clock, model, run = ModelClock(), StepTimeModel.from_setting(SETTING), TorchExecutor.run

    def timed_run(self, plan):
        outcome = run(self, plan)
        cost_s = model.plan_s(plan)
        clock.now += cost_s
        return dataclasses.replace(outcome, step_time_s=outcome.step_time_s + cost_s)
    monkeypatch.setattr(TorchExecutor, "run", timed_run)
    return clock


def test_the_trace_draws_distinct_calls_with_increasing_poisson_arrivals():
    calls = corpus(50)
    trace = build_trace(calls, fake_tokenize, num_requests=40, rate_per_s=2.0, seed=3,
                        default_predicted_tokens=7)
    assert [c.request_id for c in trace] == list(range(40))
    arrivals = [c.arrival_s for c in trace]
    assert arrivals == sorted(arrivals) and arrivals[0] > 0
    assert 10 < arrivals[-1] < 40  # 40 gaps of mean 0.5 s
    texts = {c.prompt_ids for c in trace}
    assert len(texts) == 40  # no call twice while unused ones remain
    assert all(c.predicted_output_tokens == 7 for c in trace)
    assert build_trace(calls, fake_tokenize, num_requests=40, rate_per_s=2.0, seed=3) == \
        build_trace(calls, fake_tokenize, num_requests=40, rate_per_s=2.0, seed=3,
                    default_predicted_tokens=1)


def test_with_exact_step_times_real_and_simulated_latencies_agree(tiny_model, model_clock):
    trace = build_trace(corpus(60), fake_tokenize, num_requests=45, rate_per_s=60.0, seed=1,
                        predict_lengths=lambda texts, priorities: [10 + len(t) for t in texts])
    limits = BatchLimits(max_num_seqs=3, max_num_batched_tokens=48)
    results = run_fidelity(tiny_model, trace, policies=["fcfs", "semantic"], setting=SETTING,
                           limits=limits, max_new_tokens=6, device="cpu", clock=model_clock,
                           sleep=model_clock.sleep)
    counts = collections.Counter(c.priority for c in trace)
    for result in results:
        simulated = {o.request_id: o for o in result.simulated}
        for real in result.real.outcomes:
            assert real.output_tokens == 6
            assert simulated[real.request_id].latency_s == pytest.approx(real.latency_s, rel=1e-6)
            assert simulated[real.request_id].ttft_s == pytest.approx(real.ttft_s, rel=1e-6)
        assert {row.priority: row.num_requests for row in result.rows} == {**counts, None: 45}
        assert all(row.meets_target and abs(row.mean_error) < 1e-6 for row in result.rows)
    # The load queues requests, so the policies really differ (else the test proves little).
    fcfs, semantic = ({o.request_id: o.latency_s for o in r.real.outcomes} for r in results)
    assert fcfs != pytest.approx(semantic)


def outcomes(latencies: list[float], priority: int = 1) -> list[Outcome]:
    return [Outcome(i, priority, 0.0, 10, 5, 5, latency, latency / 2)
            for i, latency in enumerate(latencies)]


def test_rows_outside_ten_percent_are_flagged_only_with_twenty_requests():
    real = outcomes([1.0 + i / 10 for i in range(25)])
    slow = [Outcome(o.request_id, o.priority, 0.0, 10, 5, 5, o.latency_s * 1.15, 0.0) for o in real]
    close = [Outcome(o.request_id, o.priority, 0.0, 10, 5, 5, o.latency_s * 1.05, 0.0) for o in real]
    assert not compare("fcfs", real, slow)[0].meets_target
    assert compare("fcfs", real, close)[0].meets_target
    assert compare("fcfs", real[:19], slow[:19])[0].meets_target  # too few to hold to the target
    table = format_rows(compare("fcfs", real, slow))
    assert "MISSED" in table and "+15.0%" in table


def test_compare_refuses_runs_of_different_requests():
    with pytest.raises(ValueError, match="different requests"):
        compare("fcfs", outcomes([1.0, 2.0]), outcomes([1.0]))


def test_a_trace_needs_requests_and_a_positive_rate():
    with pytest.raises(ValueError, match="num_requests"):
        build_trace(corpus(3), fake_tokenize, num_requests=0, rate_per_s=1.0, seed=0)
    with pytest.raises(ValueError, match="rate"):
        build_trace(corpus(3), fake_tokenize, num_requests=2, rate_per_s=0.0, seed=0)
    assert isinstance(build_trace(corpus(3), fake_tokenize, num_requests=5, rate_per_s=1.0, seed=0)[0],
                      TraceCall)


def test_step_time_bias_compares_the_setting_with_the_runs_own_steps():
    from inference.calibration.steps import StepSample
    from inference.fidelity import step_time_bias
    model = StepTimeModel.from_setting(SETTING)
    shapes = [((50, 60), ()), ((70,), ((20, 0),)), ((), ((30, 10),))]
    exact = [StepSample(c, p, model.step_s(len(c), sum(c), p)) for c, p in shapes]
    slow = [StepSample(s.decode_contexts, s.prefill_chunks, 2 * s.duration_s) for s in exact]
    assert all(abs(total) < 1e-12 and abs(felt) < 1e-12
               for _, total, felt in step_time_bias(SETTING, exact).values())
    bias = step_time_bias(SETTING, slow)
    assert bias["all"][0] == 3 and bias["all"][1] == pytest.approx(-0.5)
    assert bias["decode"][2] == pytest.approx(-0.5)
