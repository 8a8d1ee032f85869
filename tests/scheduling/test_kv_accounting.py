"""KV blocks are never lost, double-counted or overcommitted, step after step, under pressure.

Whole simulations run on a tiny KV cache (a few hundred 16-token blocks) so that
preemption happens often, and the scheduler's books are checked after every
``schedule`` and every ``update``.
"""

from __future__ import annotations

import random

import pytest

from scheduling import workloads
from scheduling.hardware import GIB, HardwareSetting, setting_from_mapping
from scheduling.plan import BatchLimits, StepPlan
from scheduling.policies import make_policy, policy_names
from scheduling.request import Request, RequestStatus
from scheduling.simulator import Simulation, simulate

BLOCK_SIZE = 16
KV_BYTES_PER_BLOCK = 2 * 2 * 64 * 2 * BLOCK_SIZE  # K and V, bf16, hidden 64, 2 layers
WEIGHT_BYTES = 0.001e9 * 2


def tiny_setting(num_blocks: int, preemption_mode: str = "recompute",
                 kv_reload_s_per_token: float = 1e-4) -> HardwareSetting:
    """A100_4B step-time coefficients with a KV cache of exactly ``num_blocks`` blocks."""
    memory_bytes = (num_blocks + 0.5) * KV_BYTES_PER_BLOCK + WEIGHT_BYTES
    setting = setting_from_mapping({
        "name": f"tiny{num_blocks}", "gpu_memory_gib": memory_bytes / (0.75 * GIB),
        "num_params_b": 0.001, "hidden_size": 64, "num_layers": 2, "block_size": BLOCK_SIZE,
        "c1": 5.91298857e-09, "c2": 1.195828e-02, "prefill_a": 1.46584975e-09,
        "prefill_b": 1.0515576e-04, "kv_reload_s_per_token": kv_reload_s_per_token,
        "preemption_mode": preemption_mode,
    })
    assert setting.num_kv_blocks == num_blocks
    return setting


class CheckedRun:
    """A Simulation whose scheduler's ``schedule`` and ``update`` are checked on every call."""

    def __init__(self, requests: list[Request], setting: HardwareSetting, policy_name: str,
                 limits: BatchLimits) -> None:
        self.requests = [r.fresh_copy() for r in requests]
        self.limits = limits
        self.sim = Simulation(self.requests, setting, make_policy(policy_name), limits)
        self.scheduler = self.sim.scheduler
        self.kv = self.sim.kv
        self.num_checks = 0
        self.num_swapped_out = self.num_recomputed = 0
        schedule, update = self.scheduler.schedule, self.scheduler.update

        def checked_schedule(now: float) -> StepPlan:
            plan = schedule(now)
            self.check_plan(plan)
            self.check_books()
            return plan

        def checked_update(plan: StepPlan, *args, **kwargs):
            result = update(plan, *args, **kwargs)
            self.check_books()
            return result

        self.scheduler.schedule = checked_schedule
        self.scheduler.update = checked_update

    def check_books(self) -> None:
        kv = self.kv
        running = [r for r in self.requests if r.status is RequestStatus.RUNNING]
        assert 0 <= kv.num_free_blocks <= kv.num_blocks
        assert kv.num_used_blocks == sum(r.num_kv_blocks for r in running)
        assert {r.request_id for r in running} == {r.request_id for r in self.scheduler.running}
        assert len(running) <= self.limits.max_num_seqs
        for request in self.requests:
            if request.status is RequestStatus.RUNNING:
                assert request.num_kv_blocks * kv.block_size >= request.num_computed_tokens
                assert request.num_computed_tokens < request.num_tokens
            else:
                assert request.num_kv_blocks == 0, f"request {request.request_id} holds blocks"
        self.num_checks += 1

    def check_plan(self, plan: StepPlan) -> None:
        size = self.kv.block_size
        assert plan.num_scheduled_tokens <= self.limits.max_num_batched_tokens
        assert len(plan.decodes) + len(plan.prefills) <= self.limits.max_num_seqs
        ids = [r.request_id for r in plan.decodes] + [c.request.request_id for c in plan.prefills]
        assert len(ids) == len(set(ids)), "a request scheduled twice in one step"
        for request in plan.decodes:
            assert request.num_kv_blocks * size >= request.num_computed_tokens + 1
        for chunk in plan.prefills:
            request = chunk.request
            assert chunk.num_new_tokens >= 1
            assert chunk.num_cached_tokens == request.num_computed_tokens
            assert request.num_kv_blocks * size >= request.num_computed_tokens + chunk.num_new_tokens
        for victim in plan.preempted:
            assert victim.num_kv_blocks == 0 and victim.status is not RequestStatus.RUNNING
            if victim.swapped_out:
                self.num_swapped_out += 1
            else:
                assert victim.num_computed_tokens == 0
                self.num_recomputed += 1
        for request in plan.swapped_in:
            assert not request.swapped_out and request.num_computed_tokens > 0
        assert plan.num_swapped_in_tokens == sum(r.num_computed_tokens for r in plan.swapped_in)

    def run(self):
        return self.sim.run()


def pressure_workload(seed: int, num_requests: int = 120) -> list[Request]:
    rng = random.Random(seed)
    return workloads.poisson(rng, rate_per_s=30.0, num_requests=num_requests,
                             prompt_tokens=workloads.Uniform(1, 400),
                             output_tokens=workloads.Uniform(1, 300))


def assert_all_finished_cleanly(run: CheckedRun, result) -> None:
    kv = run.kv
    assert kv.num_free_blocks == kv.num_blocks
    assert len(result.requests) == len(run.requests)
    for request in result.requests:
        assert request.status is RequestStatus.FINISHED
        assert request.num_output_tokens == request.output_tokens
        assert request.num_kv_blocks == 0
        assert (request.arrival_time_s <= request.first_scheduled_time_s
                <= request.first_token_time_s <= request.finish_time_s)


@pytest.mark.parametrize("policy_name", policy_names())
def test_books_balance_after_every_step_under_recompute(policy_name):
    run = CheckedRun(pressure_workload(seed=1), tiny_setting(200), policy_name,
                     BatchLimits(max_num_seqs=16, max_num_batched_tokens=512))
    result = run.run()
    assert result.num_preemptions > 0  # the point of the tiny cache
    assert run.num_checks > 2 * len(run.requests)
    assert_all_finished_cleanly(run, result)


@pytest.mark.parametrize("policy_name", ["fcfs", "semantic", "semantic-aging", "slai"])
@pytest.mark.parametrize("mode", ["swap", "auto"])
def test_books_balance_after_every_step_under_swap(policy_name, mode):
    # Under 'auto' this reload cost makes swapping cheaper than recomputing beyond about
    # 280 computed tokens, so both kinds of victim occur.
    setting = tiny_setting(200, mode, kv_reload_s_per_token=1.0556e-4)
    run = CheckedRun(pressure_workload(seed=2), setting, policy_name,
                     BatchLimits(max_num_seqs=16, max_num_batched_tokens=512))
    result = run.run()
    assert result.num_preemptions == run.num_swapped_out + run.num_recomputed > 0
    if mode == "swap":
        assert run.num_recomputed == 0
    else:
        assert run.num_swapped_out > 0 and run.num_recomputed > 0
    assert_all_finished_cleanly(run, result)


@pytest.mark.parametrize("policy_name", ["fcfs", "pjf", "semantic", "sjf"])
def test_a_request_as_large_as_the_whole_cache_still_finishes(policy_name):
    # 200 blocks = 3200 tokens: one request needs all of them, others compete for room.
    requests = pressure_workload(seed=3, num_requests=30)
    giant = Request(request_id=len(requests), arrival_time_s=0.2, prompt_tokens=2000,
                    output_tokens=1200, priority=4)
    run = CheckedRun(requests + [giant], tiny_setting(200), policy_name,
                     BatchLimits(max_num_seqs=8, max_num_batched_tokens=2048))
    result = run.run()
    assert_all_finished_cleanly(run, result)


def test_a_request_larger_than_the_whole_cache_is_refused_by_name():
    setting = tiny_setting(50)  # 800 tokens
    requests = [Request(request_id=0, arrival_time_s=0.0, prompt_tokens=10, output_tokens=10,
                        priority=1),
                Request(request_id=7, arrival_time_s=0.5, prompt_tokens=500, output_tokens=301,
                        priority=2)]
    with pytest.raises(ValueError, match=r"request 7\b"):
        simulate(requests, setting, make_policy("fcfs"), BatchLimits(4, 1024))
    # One token less fits exactly and runs.
    requests[1] = Request(request_id=7, arrival_time_s=0.5, prompt_tokens=500, output_tokens=300,
                          priority=2)
    result = simulate(requests, setting, make_policy("fcfs"), BatchLimits(4, 1024))
    assert all(r.num_output_tokens == r.output_tokens for r in result.requests)
