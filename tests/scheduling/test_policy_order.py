"""Admission order and displacement of every policy, through the real Scheduler.

Each case is built by hand and the expected order is written out, not recomputed
from the policy's key, so a wrong key or tie-break shows up as a wrong list.
"""

from __future__ import annotations

import random

import pytest

from scheduling.executor import StepOutcome
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits
from scheduling.policies import make_policy
from scheduling.request import Request, RequestStatus
from scheduling.scheduler import Scheduler

STEP_S = 0.01


def make_scheduler(policy_name: str, *, max_num_seqs: int = 1, mode: str = "recompute",
                   num_blocks: int = 64, **policy_options) -> Scheduler:
    return Scheduler(make_policy(policy_name, **policy_options), KVCache(num_blocks, 16),
                     BatchLimits(max_num_seqs=max_num_seqs, max_num_batched_tokens=256), mode)


def make_request(request_id: int, *, arrival: float = 0.0, priority: int = 2,
                 predicted: int = -1, prompt: int = 8, output: int = 1) -> Request:
    return Request(request_id=request_id, arrival_time_s=arrival, prompt_tokens=prompt,
                   output_tokens=output, priority=priority, predicted_output_tokens=predicted)


def admission_order(scheduler: Scheduler, requests: list[Request], now: float) -> list[int]:
    """Add ``requests`` in a shuffled order, run to completion, return ids in order of admission."""
    shuffled = list(requests)
    random.Random(7).shuffle(shuffled)  # insertion order must not matter
    for request in shuffled:
        scheduler.add_request(request)
    order: list[int] = []
    for _ in range(1000):
        if not scheduler.has_work:
            return order
        plan = scheduler.schedule(now)
        order.extend(c.request.request_id for c in plan.prefills
                     if c.request.request_id not in order)
        now += STEP_S
        scheduler.update(plan, StepOutcome(STEP_S), now)
    raise AssertionError("scheduler did not drain")


def run_steps(scheduler: Scheduler, num_steps: int, now: float = 0.0) -> float:
    for _ in range(num_steps):
        plan = scheduler.schedule(now)
        now += STEP_S
        scheduler.update(plan, StepOutcome(STEP_S), now)
    return now


# (id, arrival, priority, predicted output, prompt); every request has one output token,
# so each finishes in the step that admits it and max_num_seqs=1 admits one per step.
MIXED = [
    (0, 0.0, 3, 40, 30),
    (1, 0.1, 0, 90, 60),
    (2, 0.2, 3, 10, 10),
    (3, 0.3, 1, 20, 5),
    (4, 0.4, 0, 15, 70),
    (5, 0.5, 4, 5, 2),
    (6, 0.5, 2, 40, 20),
]

EXPECTED_ORDER = {
    "fcfs": [0, 1, 2, 3, 4, 5, 6],           # arrival; 5 and 6 tie on arrival -> id
    "sjf": [5, 2, 4, 3, 0, 6, 1],            # predicted output; 0 and 6 tie at 40 -> arrival
    "pjf": [1, 4, 3, 6, 0, 2, 5],            # priority, then arrival
    "vllm-priority": [1, 4, 3, 6, 0, 2, 5],  # priority, then arrival
    "semantic": [4, 1, 3, 6, 2, 0, 5],       # priority, then predicted output
    "semantic-aging": [4, 1, 3, 6, 2, 0, 5],  # nobody overdue: same as semantic
    "slai": [3, 1, 4, 2, 6, 0, 5],           # TBT tier (p0=p1 < p2=p3 < p4), then prompt
}


def mixed_requests() -> list[Request]:
    return [make_request(i, arrival=t, priority=p, predicted=pred, prompt=prompt)
            for i, t, p, pred, prompt in MIXED]


@pytest.mark.parametrize("policy_name", sorted(EXPECTED_ORDER))
def test_each_policy_admits_in_its_documented_order(policy_name):
    scheduler = make_scheduler(policy_name)
    assert admission_order(scheduler, mixed_requests(), now=1.0) == EXPECTED_ORDER[policy_name]


@pytest.mark.parametrize("policy_name", sorted(EXPECTED_ORDER))
def test_two_seats_admit_the_best_two_in_one_step(policy_name):
    scheduler = make_scheduler(policy_name, max_num_seqs=2)
    for request in mixed_requests():
        scheduler.add_request(request)
    plan = scheduler.schedule(1.0)
    assert [c.request.request_id for c in plan.prefills] == EXPECTED_ORDER[policy_name][:2]
    assert len(scheduler.waiting) == len(MIXED) - 2


@pytest.mark.parametrize("policy_name", sorted(EXPECTED_ORDER))
def test_exact_ties_are_broken_by_arrival_then_request_id(policy_name):
    # Same priority, prediction and prompt everywhere: only arrival and id differ.
    requests = [make_request(i, arrival=t, priority=2, predicted=30, prompt=16)
                for i, t in [(8, 0.2), (3, 0.2), (5, 0.1), (1, 0.3), (2, 0.2)]]
    scheduler = make_scheduler(policy_name)
    assert admission_order(scheduler, requests, now=1.0) == [5, 2, 3, 8, 1]


@pytest.mark.parametrize("policy_name,displaces", [
    ("semantic", True), ("pjf", True), ("vllm-priority", False), ("fcfs", False),
])
def test_an_urgent_arrival_displaces_a_running_routine_request_only_where_allowed(
        policy_name, displaces):
    scheduler = make_scheduler(policy_name)
    routine = make_request(0, arrival=0.0, priority=4, output=50)
    scheduler.add_request(routine)
    now = run_steps(scheduler, 3)  # prefill + 2 decodes
    assert routine.status is RequestStatus.RUNNING and routine.num_output_tokens == 3

    urgent = make_request(1, arrival=now, priority=0, output=5)
    scheduler.add_request(urgent)
    plan = scheduler.schedule(now)
    if displaces:
        assert plan.preempted == [routine]
        assert [c.request for c in plan.prefills] == [urgent]
        assert plan.decodes == []
        assert scheduler.running == [urgent]
        assert routine.status is RequestStatus.WAITING
        assert routine.num_preemptions == 1 and scheduler.num_preemptions == 1
    else:
        assert plan.preempted == [] and plan.prefills == []
        assert plan.decodes == [routine]
        assert urgent.status is RequestStatus.WAITING
        assert routine.num_preemptions == 0 and scheduler.num_preemptions == 0
    scheduler.update(plan, StepOutcome(STEP_S), now + STEP_S)
    run_steps(scheduler, 100, now + STEP_S)
    assert routine.is_finished and urgent.is_finished
    assert (urgent.finish_time_s < routine.finish_time_s) == displaces


def _run_alone(policy_name: str, num_generated: int, **request_fields) -> tuple[Scheduler, Request, float]:
    scheduler = make_scheduler(policy_name)
    running = make_request(0, arrival=0.0, **request_fields)
    scheduler.add_request(running)
    now = run_steps(scheduler, num_generated)
    assert running.num_output_tokens == num_generated
    return scheduler, running, now


def test_semantic_keeps_a_running_request_that_is_nearly_done():
    # 90 of 100 predicted tokens done: 10 left, less than the newcomer's 50.
    scheduler, running, now = _run_alone("semantic", 90, priority=2, output=100)
    newcomer = make_request(1, arrival=now, priority=2, predicted=50, output=50)
    scheduler.add_request(newcomer)
    plan = scheduler.schedule(now)
    assert plan.preempted == [] and plan.decodes == [running] and plan.prefills == []
    assert scheduler.num_preemptions == 0


def test_semantic_displaces_only_for_a_more_urgent_class():
    # 1 of 100 predicted tokens done: 99 left, more than the same-class newcomer's 50. It ranks
    # worse, but within a class rank does not displace (Policy.may_displace: otherwise victim
    # and newcomer would trade places every step); a more urgent class does.
    scheduler, running, now = _run_alone("semantic", 1, priority=2, output=100)
    same_class = make_request(1, arrival=now, priority=2, predicted=50, output=50)
    scheduler.add_request(same_class)
    assert scheduler.policy.key(same_class) < scheduler.policy.key(running)
    plan = scheduler.schedule(now)
    assert plan.preempted == [] and plan.decodes == [running]
    now += STEP_S
    scheduler.update(plan, StepOutcome(STEP_S), now)

    urgent = make_request(2, arrival=now, priority=1, predicted=500, output=500)
    scheduler.add_request(urgent)
    plan = scheduler.schedule(now)
    assert plan.preempted == [running]
    assert [c.request for c in plan.prefills] == [urgent]
    assert scheduler.num_preemptions == 1


def test_sjf_displaces_a_request_with_more_predicted_work_left():
    scheduler, running, now = _run_alone("sjf", 1, priority=2, output=100)  # 99 left
    shorter = make_request(1, arrival=now, priority=4, predicted=50, output=50)
    scheduler.add_request(shorter)
    plan = scheduler.schedule(now)
    assert plan.preempted == [running]
    assert [c.request for c in plan.prefills] == [shorter]


def test_sjf_keeps_a_request_whose_remaining_work_has_shrunk():
    scheduler, running, now = _run_alone("sjf", 90, priority=2, output=100)  # 10 left
    longer = make_request(1, arrival=now, priority=0, predicted=50, output=50)
    scheduler.add_request(longer)
    plan = scheduler.schedule(now)
    assert plan.preempted == [] and plan.decodes == [running]


@pytest.mark.parametrize("policy_name,expected_victim", [
    ("semantic", 1), ("sjf", 1), ("pjf", 0), ("fcfs", 0),
])
def test_memory_pressure_evicts_by_re_evaluated_remaining_work(policy_name, expected_victim):
    # Request 0 (predicted 100, arrived last) has 10 tokens left when request 1 (predicted 50,
    # arrived first) joins with 49 left: ranking by remaining work evicts 1, ranking by the
    # original prediction or by arrival would evict 0.
    scheduler = make_scheduler(policy_name, max_num_seqs=2, num_blocks=12)
    nearly_done = make_request(0, arrival=1.0, priority=2, prompt=16, output=100)
    scheduler.add_request(nearly_done)
    now = run_steps(scheduler, 90, now=1.0)
    assert nearly_done.num_output_tokens == 90
    longer = make_request(1, arrival=0.5, priority=2, prompt=64, output=50)
    scheduler.add_request(longer)
    victims = []
    for _ in range(60):
        plan = scheduler.schedule(now)
        victims.extend(r.request_id for r in plan.preempted)
        now += STEP_S
        scheduler.update(plan, StepOutcome(STEP_S), now)
        assert scheduler.kv.num_used_blocks <= scheduler.kv.num_blocks
        if victims:
            break
    assert victims[:1] == [expected_victim]


def test_semantic_aging_admits_an_overdue_routine_request_before_a_fresher_urgent_one():
    scheduler = make_scheduler("semantic-aging", max_wait_s=10.0)
    overdue = make_request(0, arrival=0.0, priority=4, output=5)
    fresh = make_request(1, arrival=20.0, priority=1, output=5)
    scheduler.add_request(overdue)
    scheduler.add_request(fresh)
    plan = scheduler.schedule(20.0)
    assert [c.request for c in plan.prefills] == [overdue]
    assert overdue.promoted
    scheduler.update(plan, StepOutcome(STEP_S), 20.0 + STEP_S)

    # Admitted while overdue: the waiting priority-1 request, or a new one, cannot displace it.
    another = make_request(2, arrival=20.01, priority=1, output=5)
    scheduler.add_request(another)
    plan = scheduler.schedule(20.0 + STEP_S)
    assert plan.preempted == [] and plan.decodes == [overdue]
    assert scheduler.num_preemptions == 0


def test_semantic_without_aging_admits_the_fresher_urgent_request_first():
    scheduler = make_scheduler("semantic")
    requests = [make_request(0, arrival=0.0, priority=4), make_request(1, arrival=20.0, priority=1)]
    assert admission_order(scheduler, requests, now=20.0) == [1, 0]


def test_semantic_aging_still_serves_an_emergency_first():
    scheduler = make_scheduler("semantic-aging", max_wait_s=10.0)
    requests = [make_request(0, arrival=0.0, priority=4),
                make_request(1, arrival=20.0, priority=1),
                make_request(2, arrival=20.0, priority=0)]
    assert admission_order(scheduler, requests, now=20.0) == [2, 0, 1]


def test_semantic_aging_lets_an_emergency_displace_a_promoted_request():
    scheduler = make_scheduler("semantic-aging", max_wait_s=10.0)
    overdue = make_request(0, arrival=0.0, priority=4, output=5)
    scheduler.add_request(overdue)
    now = run_steps(scheduler, 1, now=20.0)
    assert overdue.promoted and overdue.status is RequestStatus.RUNNING
    emergency = make_request(1, arrival=now, priority=0, output=5)
    scheduler.add_request(emergency)
    plan = scheduler.schedule(now)
    assert plan.preempted == [overdue]
    assert [c.request for c in plan.prefills] == [emergency]


@pytest.mark.parametrize("mode", ["swap", "recompute"])
def test_a_victim_keeps_its_kv_under_swap_and_loses_it_under_recompute(mode):
    scheduler = make_scheduler("pjf", mode=mode)
    victim = make_request(0, arrival=0.0, priority=4, prompt=40, output=50)
    scheduler.add_request(victim)
    now = run_steps(scheduler, 5)  # prefill (1 token) + 4 decodes
    assert (victim.num_output_tokens, victim.num_computed_tokens) == (5, 44)

    urgent = make_request(1, arrival=now, priority=0, prompt=8, output=1)
    scheduler.add_request(urgent)
    plan = scheduler.schedule(now)
    assert plan.preempted == [victim]
    assert victim.num_kv_blocks == 0
    assert scheduler.kv.num_used_blocks == urgent.num_kv_blocks == 1
    assert victim.num_computed_tokens == (44 if mode == "swap" else 0)
    assert victim.swapped_out == (mode == "swap")
    now += STEP_S
    assert scheduler.update(plan, StepOutcome(STEP_S), now).finished == [urgent]

    plan = scheduler.schedule(now)
    if mode == "swap":
        assert plan.swapped_in == [victim] and plan.num_swapped_in_tokens == 44
        assert plan.decodes == [victim] and plan.prefills == []
    else:
        assert plan.swapped_in == [] and plan.num_swapped_in_tokens == 0
        assert [(c.request, c.num_new_tokens, c.num_cached_tokens) for c in plan.prefills] == [
            (victim, 45, 0)]
    scheduler.update(plan, StepOutcome(STEP_S), now + STEP_S)
    assert victim.num_output_tokens == 6
    run_steps(scheduler, 100, now + STEP_S)
    assert victim.is_finished and victim.num_output_tokens == 50
    assert scheduler.kv.num_free_blocks == scheduler.kv.num_blocks


def test_a_steady_plan_is_repeated_by_the_next_step():
    scheduler = make_scheduler("semantic", max_num_seqs=4, num_blocks=8)
    routine = make_request(0, priority=4, prompt=16, output=100)
    scheduler.add_request(routine)
    now = run_steps(scheduler, 1)  # prefill: 1 block; the next decode needs a 2nd
    urgent = make_request(1, arrival=now, priority=0, prompt=112, output=10)  # needs 7 blocks
    scheduler.add_request(urgent)
    previous = None
    for _ in range(30):
        plan = scheduler.schedule(now)
        if previous is not None:
            assert (plan.decodes, plan.prefills, plan.preempted) == (previous.decodes, [], [])
        repeatable = plan.is_steady and scheduler.max_steady_iterations(plan) > 1
        previous = plan if repeatable else None
        now += STEP_S
        scheduler.update(plan, StepOutcome(STEP_S), now)
    assert urgent.is_finished  # sanity: the urgent request did get through


def _memory_full_scheduler(policy_name: str) -> tuple[Scheduler, Request, float]:
    """Two seats, 6 blocks of 16 tokens, filled by one running routine request (a free seat,
    no free memory)."""
    scheduler = make_scheduler(policy_name, max_num_seqs=2, num_blocks=6)
    routine = make_request(0, arrival=0.0, priority=4, prompt=90, output=6)
    scheduler.add_request(routine)
    now = run_steps(scheduler, 2)
    assert scheduler.kv.num_free_blocks == 0 and scheduler.num_running == 1
    return scheduler, routine, now


@pytest.mark.parametrize("policy_name", ["semantic", "pjf", "sjf"])
def test_only_a_life_threatening_request_displaces_for_memory(policy_name):
    # A seat is free; only KV memory is lacking. Class 1 waits for memory to free up;
    # class 0 takes it (sjf, which has no classes, never evicts for memory).
    scheduler, routine, now = _memory_full_scheduler(policy_name)
    emergent = make_request(1, arrival=now, priority=1, prompt=30, predicted=5, output=5)
    scheduler.add_request(emergent)
    plan = scheduler.schedule(now)
    assert plan.preempted == [] and plan.decodes == [routine]
    scheduler.update(plan, StepOutcome(STEP_S), now + STEP_S)

    scheduler, routine, now = _memory_full_scheduler(policy_name)
    immediate = make_request(2, arrival=now, priority=0, prompt=30, predicted=5, output=5)
    scheduler.add_request(immediate)
    plan = scheduler.schedule(now)
    if policy_name == "sjf":
        assert plan.preempted == []
    else:
        assert plan.preempted == [routine]
        assert [c.request for c in plan.prefills] == [immediate]
