"""The step-time model: closed forms agree with step-by-step sums, and fast-forward is exact."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest

from scheduling import workloads
from scheduling.hardware import GIB, HardwareSetting, load_builtin_setting, setting_from_mapping
from scheduling.plan import BatchLimits
from scheduling.policies import make_policy, policy_names
from scheduling.request import Request
from scheduling.scheduler import Scheduler
from scheduling.simulator import simulate
from scheduling.step_time import StepTimeModel


def random_model(rng: random.Random) -> StepTimeModel:
    """Half of them v1 (the v2 terms 0), half with every v2 term."""
    v2 = rng.random() < 0.5
    return StepTimeModel(c1=rng.choice([0.0, rng.uniform(1e-9, 5e-6)]), c2=rng.uniform(1e-3, 5e-2),
                         prefill_a=rng.uniform(0, 1e-6), prefill_b=rng.uniform(0, 2e-4),
                         kv_reload_s_per_token=rng.uniform(0, 3e-4),
                         per_decode_s=rng.uniform(0, 2e-4) if v2 else 0.0,
                         per_prefill_chunk_s=rng.uniform(0, 3e-3) if v2 else 0.0,
                         host_overhead_s=rng.uniform(1e-3, 7e-3) if v2 else 0.0)


def one_iteration_s(model: StepTimeModel, num_decodes: int, context_sum: int, j: int) -> float:
    """Iteration j (from 0) of a decode-only batch: every context has grown by j."""
    return model.step_s(num_decodes, context_sum + num_decodes * j)


def test_decode_run_equals_the_sum_of_its_iterations():
    rng = random.Random(0)
    for _ in range(300):
        model = random_model(rng)
        num_decodes = rng.randint(1, 256)
        context_sum = rng.randint(num_decodes, num_decodes * 4000)
        k = rng.randint(1, 400)
        expected = math.fsum(one_iteration_s(model, num_decodes, context_sum, j) for j in range(k))
        assert model.decode_run_s(num_decodes, context_sum, k) == pytest.approx(expected, rel=1e-12)


def test_decode_iterations_to_reach_is_the_smallest_sufficient_count():
    rng = random.Random(1)
    for _ in range(500):
        model = random_model(rng)
        num_decodes = rng.randint(1, 256)
        context_sum = rng.randint(num_decodes, num_decodes * 4000)
        horizon_s = rng.choice([rng.uniform(0, 0.1), rng.uniform(0, 50), model.c2 * rng.randint(1, 9)])
        k = model.decode_iterations_to_reach(num_decodes, context_sum, horizon_s)
        assert k >= 1
        assert model.decode_run_s(num_decodes, context_sum, k) >= horizon_s
        if k > 1:
            assert model.decode_run_s(num_decodes, context_sum, k - 1) < horizon_s
    # A horizon already reached still takes one iteration.
    assert StepTimeModel(0, 0.01, 0, 0, 0).decode_iterations_to_reach(1, 10, 0.0) == 1


def test_decode_iterations_to_reach_refuses_a_model_that_never_advances():
    with pytest.raises(ValueError):
        StepTimeModel(0, 0, 0, 0, 0).decode_iterations_to_reach(3, 30, 1.0)


@pytest.mark.parametrize("name", ["A100_4B", "A100_7B", "A5000_4B", "H100_8B"])
def test_at_batch_size_one_a_request_costs_the_reference_formulas(name):
    # One request alone: prefill(p) = a p^2 + b p plus the iteration's c2 (emits token 1),
    # then each further token costs c1 * context + c2, context = every token so far.
    setting = load_builtin_setting(name)
    model = StepTimeModel.from_setting(setting)
    p, o = 300, 40
    assert model.prefill_s(p) == pytest.approx(setting.prefill_a * p * p + setting.prefill_b * p)
    request = Request(request_id=0, arrival_time_s=2.0, prompt_tokens=p, output_tokens=o, priority=1)
    (done,) = simulate([request], setting, make_policy("fcfs"), BatchLimits(1, 512)).requests
    prefill_s = setting.prefill_a * p * p + setting.prefill_b * p + setting.c2
    decodes_s = math.fsum(setting.c1 * (p + i) + setting.c2 for i in range(1, o))
    assert done.first_token_time_s - 2.0 == pytest.approx(prefill_s, rel=1e-12)
    assert done.finish_time_s - 2.0 == pytest.approx(prefill_s + decodes_s, rel=1e-9)


def test_splitting_a_prompt_into_chunks_does_not_change_its_attention_cost():
    # The same causal (query, key) pairs are computed however the prompt is split.
    model = StepTimeModel(c1=0, c2=0, prefill_a=1e-6, prefill_b=0, kv_reload_s_per_token=0)
    chunks = math.fsum(model.prefill_s(100, cached) for cached in (0, 100, 200, 300))
    assert chunks == pytest.approx(model.prefill_s(400), rel=1e-9)


def test_the_linear_prefill_term_and_swap_in_are_per_token():
    model = StepTimeModel(c1=0, c2=0, prefill_a=0, prefill_b=1e-4, kv_reload_s_per_token=3e-4)
    chunks = math.fsum(model.prefill_s(100, cached) for cached in (0, 100, 200, 300))
    assert chunks == pytest.approx(0.04)
    assert model.prefill_s(400) == pytest.approx(0.04)
    assert model.swap_in_s(0) == 0
    assert model.swap_in_s(250) == pytest.approx(0.075)


def _finish_times(requests, setting, name, limits):
    result = simulate(requests, setting, make_policy(name), limits)
    return result, {r.request_id: r.finish_time_s for r in result.requests}


def small_cache(setting: HardwareSetting, num_blocks: int) -> HardwareSetting:
    """``setting`` with just enough GPU memory for ``num_blocks`` KV blocks."""
    block_bytes = setting.kv_bytes_per_token * setting.block_size
    weight_bytes = setting.num_params_b * 1e9 * 2
    usable = setting.gpu_memory_utilization - setting.activation_fraction
    small = replace(setting, gpu_memory_gib=(weight_bytes + (num_blocks + 0.5) * block_bytes)
                    / (usable * GIB))
    assert small.num_kv_blocks == num_blocks
    return small


@pytest.mark.parametrize("v2_terms", [False, True])
@pytest.mark.parametrize("num_kv_blocks", [None, 150])
@pytest.mark.parametrize("policy_name", policy_names())
def test_steady_fast_forward_gives_the_same_finish_times_as_single_steps(
        policy_name, num_kv_blocks, v2_terms, monkeypatch):
    # With a small cache, steady runs also end where the cache fills, and preemptions happen.
    setting = load_builtin_setting("A100_7B")
    if num_kv_blocks:
        setting = small_cache(setting, num_kv_blocks)
    if v2_terms:
        setting = replace(setting, per_decode_s=1e-4, per_prefill_chunk_s=2e-3, host_overhead_s=3e-3)
    requests = workloads.poisson(random.Random(9), rate_per_s=6.0, num_requests=80,
                                 prompt_tokens=workloads.Uniform(1, 499),
                                 output_tokens=workloads.Uniform(1, 498))
    limits = BatchLimits(max_num_seqs=12, max_num_batched_tokens=1024)
    fast, fast_times = _finish_times(requests, setting, policy_name, limits)
    monkeypatch.setattr(Scheduler, "max_steady_iterations", lambda self, plan: 1)
    slow, slow_times = _finish_times(requests, setting, policy_name, limits)
    assert fast.num_iterations == slow.num_iterations
    assert fast.num_preemptions == slow.num_preemptions
    if num_kv_blocks:
        assert fast.num_preemptions > 0
    assert len(fast.timeline) < 0.6 * len(slow.timeline)  # fast-forward did happen
    for request_id, finish_s in slow_times.items():
        assert fast_times[request_id] == pytest.approx(finish_s, rel=1e-9), request_id


def _with_and_without_fast_forward(requests, setting, policy_name, limits, monkeypatch):
    fast, fast_times = _finish_times(requests, setting, policy_name, limits)
    with monkeypatch.context() as patch:
        patch.setattr(Scheduler, "max_steady_iterations", lambda self, plan: 1)
        slow, slow_times = _finish_times(requests, setting, policy_name, limits)
    return fast_times, slow_times


def token_clock_setting(num_blocks: int) -> HardwareSetting:
    """c2 = 10 ms per iteration, nothing else costs; exactly ``num_blocks`` 16-token blocks."""
    block_bytes = 2 * 2 * 64 * 2 * 16
    return setting_from_mapping({
        "name": "token-clock", "gpu_memory_gib": (2e6 + (num_blocks + 0.5) * block_bytes)
        / (0.75 * GIB), "num_params_b": 0.001, "hidden_size": 64, "num_layers": 2,
        "block_size": 16, "c1": 0.0, "c2": 0.01, "prefill_a": 0.0, "prefill_b": 0.0,
        "kv_reload_s_per_token": 0.0, "preemption_mode": "recompute"})


def test_fast_forward_does_not_delay_an_urgent_request_that_single_steps_would_admit(monkeypatch):
    # 8 blocks. The routine request's prefill takes 1 (16 tokens), its first decode a 2nd;
    # the urgent one (112 tokens) needs 7 = all that is free before that decode, 1 too many after.
    setting = token_clock_setting(8)
    assert setting.num_kv_blocks == 8
    routine = Request(request_id=0, arrival_time_s=0.0, prompt_tokens=16, output_tokens=100,
                      priority=4)
    urgent = Request(request_id=1, arrival_time_s=0.005, prompt_tokens=112, output_tokens=10,
                     priority=0)
    fast, slow = _with_and_without_fast_forward([routine, urgent], setting, "semantic",
                                                BatchLimits(4, 256), monkeypatch)
    assert slow[1] < slow[0]  # single steps: the urgent request displaces the routine one
    assert fast == pytest.approx(slow, rel=1e-9)


def test_slai_fast_forward_gives_the_same_finish_times_as_single_steps(monkeypatch):
    requests = workloads.poisson(random.Random(4), rate_per_s=5.0, num_requests=40,
                                 prompt_tokens=workloads.Uniform(1, 499),
                                 output_tokens=workloads.Uniform(1, 498))
    fast, slow = _with_and_without_fast_forward(requests, load_builtin_setting("A100_7B"), "slai",
                                                BatchLimits(8, 512), monkeypatch)
    assert fast == pytest.approx(slow, rel=1e-9)


def test_the_v2_terms_are_charged_per_iteration_per_decode_and_per_chunk():
    v1 = StepTimeModel(c1=1e-6, c2=0.01, prefill_a=1e-7, prefill_b=1e-4, kv_reload_s_per_token=0.0)
    v2 = replace(v1, per_decode_s=2e-4, per_prefill_chunk_s=3e-3, host_overhead_s=5e-3)
    chunks = [(100, 0), (40, 200)]
    extra = v2.step_s(3, 900, chunks) - v1.step_s(3, 900, chunks)
    assert extra == pytest.approx(5e-3 + 3 * 2e-4 + 2 * 3e-3)
    # Prefill chunks still telescope, each forward pass paying its own fixed cost.
    assert math.fsum(v2.prefill_s(100, c) for c in (0, 100, 200, 300)) == \
        pytest.approx(v2.prefill_s(400) + 3 * 3e-3)


def test_built_in_settings_read_the_v2_terms_as_zero():
    for name in ("A100_7B", "H100_8B"):
        model = StepTimeModel.from_setting(load_builtin_setting(name))
        assert (model.per_decode_s, model.per_prefill_chunk_s, model.host_overhead_s) == (0.0, 0.0, 0.0)


def test_a_host_overhead_lengthens_an_idle_request_by_one_overhead_per_iteration():
    setting = load_builtin_setting("A100_7B")
    slow = replace(setting, host_overhead_s=0.004)
    request = Request(0, 0.0, prompt_tokens=200, output_tokens=50, priority=0)
    base = simulate([request], setting, make_policy("fcfs"), BatchLimits()).requests[0].latency_s
    with_host = simulate([request], slow, make_policy("fcfs"), BatchLimits()).requests[0].latency_s
    assert with_host - base == pytest.approx(50 * 0.004)  # one prefill + 49 decode iterations


@pytest.mark.parametrize("policy_name", ["semantic-aging", "semantic-guard"])
def test_fast_forward_stops_where_aging_would_change_the_head(policy_name, monkeypatch):
    # A seat-bound backlog with a short starvation bound: requests become overdue (and late)
    # while steady runs decode, so runs must end at those times as single steps would see them.
    requests = workloads.poisson(random.Random(5), rate_per_s=60.0, num_requests=150,
                                 prompt_tokens=workloads.Uniform(1, 499),
                                 output_tokens=workloads.Uniform(1, 498))
    setting, limits = load_builtin_setting("A100_7B"), BatchLimits(8, 2048)
    fast = simulate(requests, setting, make_policy(policy_name, max_wait_s=2.0), limits)
    with monkeypatch.context() as patch:
        patch.setattr(Scheduler, "max_steady_iterations", lambda self, plan: 1)
        slow = simulate(requests, setting, make_policy(policy_name, max_wait_s=2.0), limits)
    assert sum(r.promoted for r in fast.requests) > 20  # aging did reorder the backlog
    assert len(fast.timeline) < 0.5 * len(slow.timeline)  # and runs were fast-forwarded
    slow_times = {r.request_id: r.finish_time_s for r in slow.requests}
    for request in fast.requests:
        assert request.finish_time_s == pytest.approx(slow_times[request.request_id], rel=1e-9)
