"""semantic-guard keeps an urgent request's iterations lean: the prefill of less urgent
requests that shares them is limited, the urgent request's own prefill is not."""

from __future__ import annotations

import pytest

from scheduling.executor import StepOutcome
from scheduling.hardware import load_builtin_setting
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits, StepPlan
from scheduling.policies import make_policy
from scheduling.prefill_guard import largest_chunk_within
from scheduling.request import Request
from scheduling.scheduler import Scheduler
from scheduling.simulator import Simulation
from scheduling.step_time import StepTimeModel

MODEL = StepTimeModel.from_setting(load_builtin_setting("A100_7B"))


def make_scheduler(policy_name: str = "semantic-guard", *, step_time: StepTimeModel | None = MODEL,
                   max_num_seqs: int = 8, num_blocks: int = 256, **options) -> Scheduler:
    return Scheduler(make_policy(policy_name, **options), KVCache(num_blocks, 16),
                     BatchLimits(max_num_seqs=max_num_seqs, max_num_batched_tokens=2048),
                     "recompute", step_time)


def request(request_id: int, priority: int, *, arrival: float = 0.0, prompt: int = 16,
            output: int = 200) -> Request:
    return Request(request_id=request_id, arrival_time_s=arrival, prompt_tokens=prompt,
                   output_tokens=output, priority=priority)


def step(scheduler: Scheduler, now: float) -> tuple[StepPlan, float]:
    plan = scheduler.schedule(now)
    step_s = step_time_s(plan)
    scheduler.update(plan, StepOutcome(step_s), now + step_s)
    return plan, now + step_s


def step_time_s(plan: StepPlan) -> float:
    return MODEL.plan_s(plan)


def decoding_emergency(scheduler: Scheduler, request_id: int = 0) -> tuple[Request, float]:
    emergency = request(request_id, 0)
    scheduler.add_request(emergency)
    _, now = step(scheduler, 0.0)  # its prefill
    assert emergency.is_decoding
    return emergency, now


def test_a_large_routine_prompt_is_cut_to_the_guard_while_an_emergency_decodes():
    scheduler = make_scheduler(guard_s=0.01)
    emergency, now = decoding_emergency(scheduler)
    routine = request(1, 4, arrival=now, prompt=1500)
    scheduler.add_request(routine)
    step_times = []
    for _ in range(20):
        plan, later = step(scheduler, now)
        assert emergency in plan.decodes
        step_times.append(later - now)
        now = later
    # Every iteration the emergency runs in costs at most a decode plus the 10 ms allowance...
    decode_alone_s = MODEL.c2 + MODEL.c1 * (emergency.num_tokens + 1)
    assert max(step_times) <= decode_alone_s + 0.01 + 1e-9
    # ...and the routine prompt still advances every iteration (the guard meters, never blocks).
    assert 0 < routine.num_computed_tokens < routine.prompt_tokens


def test_without_the_guard_the_whole_prompt_shares_the_emergencys_iteration():
    scheduler = make_scheduler("semantic")
    emergency, now = decoding_emergency(scheduler)
    scheduler.add_request(request(1, 4, arrival=now, prompt=1500))
    plan, later = step(scheduler, now)
    assert [c.num_new_tokens for c in plan.prefills] == [1500]
    assert later - now > 1.0  # the emergency's next token waits over a second


def test_the_allowance_is_shared_by_the_emergencies_it_would_delay():
    def routine_tokens_in_first_step(num_emergencies: int) -> int:
        scheduler = make_scheduler(guard_s=0.02)
        for i in range(num_emergencies):
            scheduler.add_request(request(i, 0))
        _, now = step(scheduler, 0.0)
        scheduler.add_request(request(99, 4, arrival=now, prompt=1500))
        plan = scheduler.schedule(now)
        return sum(c.num_new_tokens for c in plan.prefills if c.request.request_id == 99)

    one, four = routine_tokens_in_first_step(1), routine_tokens_in_first_step(4)
    assert one == largest_chunk_within(MODEL, 0, 1500, 0.02)
    assert four == largest_chunk_within(MODEL, 0, 1500, 0.005)
    assert 0 < four < one


def test_an_emergencys_own_prompt_is_never_cut():
    scheduler = make_scheduler(guard_s=0.001)
    _, now = decoding_emergency(scheduler)
    second = request(1, 0, arrival=now, prompt=1500)
    scheduler.add_request(second)
    plan = scheduler.schedule(now)
    assert [(c.request, c.num_new_tokens) for c in plan.prefills] == [(second, 1500)]


def test_an_overdue_request_is_not_held_back_by_the_guard():
    scheduler = make_scheduler(guard_s=0.0, max_wait_s=10.0)
    overdue = request(1, 4, arrival=0.0, prompt=600)
    scheduler.add_request(overdue)
    emergency = request(0, 0, arrival=20.0)
    scheduler.add_request(emergency)
    plan = scheduler.schedule(20.0)  # the emergency's prefill first, the overdue one with it
    assert {c.request.request_id: c.num_new_tokens for c in plan.prefills} == {0: 16, 1: 600}

    fresh = make_scheduler(guard_s=0.0, max_wait_s=10.0)
    _, now = decoding_emergency(fresh)
    waiting = request(1, 4, arrival=now, prompt=600)
    fresh.add_request(waiting)
    plan, now = step(fresh, now)
    assert plan.prefills == []  # a zero allowance holds a fresh routine request back...
    assert fresh.waiting.peek(now) is waiting


def test_without_a_step_time_model_the_allowance_counts_prompt_tokens():
    scheduler = make_scheduler(step_time=None, guard_tokens=100)
    emergency, now = decoding_emergency(scheduler)
    scheduler.add_request(request(1, 4, arrival=now, prompt=1500))
    plan = scheduler.schedule(now)
    assert [c.num_new_tokens for c in plan.prefills] == [100]


def test_a_swap_in_counts_against_the_allowance():
    scheduler = Scheduler(make_policy("semantic-guard", guard_s=0.01), KVCache(256, 16),
                          BatchLimits(max_num_seqs=1, max_num_batched_tokens=2048), "swap", MODEL)
    routine = request(1, 4, prompt=400)
    scheduler.add_request(routine)
    _, now = step(scheduler, 0.0)
    emergency = request(0, 0, arrival=now, output=50)
    scheduler.add_request(emergency)
    plan, now = step(scheduler, now)  # the emergency takes the only seat, the routine is swapped out
    assert plan.preempted == [routine] and routine.swapped_out
    # Room for both again: the routine's 400 tokens would take 40 ms to swap back in, more
    # than the 10 ms allowance, so it waits while the emergency decodes.
    scheduler.limits = BatchLimits(max_num_seqs=2, max_num_batched_tokens=2048)
    plan, now = step(scheduler, now)
    assert plan.swapped_in == [] and plan.decodes == [emergency]
    while emergency.status.value != "finished":
        plan, now = step(scheduler, now)
    plan, now = step(scheduler, now)
    assert plan.swapped_in == [routine]


@pytest.mark.parametrize("cached", [0, 100, 1000])
@pytest.mark.parametrize("budget_s", [0.0, 1e-4, 0.003, 0.05, 10.0])
def test_largest_chunk_within_matches_a_search(cached, budget_s):
    expected = max((n for n in range(0, 601) if MODEL.prefill_s(n, cached) <= budget_s), default=0)
    assert largest_chunk_within(MODEL, cached, 600, budget_s) == expected


def test_a_guarded_run_drains_even_with_a_zero_allowance():
    setting = load_builtin_setting("A100_7B")
    requests = [request(i, i % 5, arrival=0.05 * i, prompt=100 + 37 * i % 400, output=20 + 13 * i % 200)
                for i in range(60)]
    result = Simulation(requests, setting, make_policy("semantic-guard", guard_s=0.0),
                        BatchLimits()).run()
    assert all(r.finish_time_s is not None for r in result.requests)
