"""Starvation is bounded, and aging keeps the classes in order (issue: urgent requests keep
their idle-server speed, goal 3)."""

from __future__ import annotations

import math

import pytest

from scheduling.executor import StepOutcome
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits
from scheduling.policies import SMITH_CLASS_WEIGHTS, aging_bounds_s, make_policy
from scheduling.request import Request, RequestStatus
from scheduling.scheduler import Scheduler

STEP_S = 0.01


def make_scheduler(policy_name: str, **options) -> Scheduler:
    return Scheduler(make_policy(policy_name, **options), KVCache(64, 16),
                     BatchLimits(max_num_seqs=1, max_num_batched_tokens=256), "recompute")


def request(request_id: int, priority: int, arrival: float, output: int = 1) -> Request:
    return Request(request_id=request_id, arrival_time_s=arrival, prompt_tokens=8,
                   output_tokens=output, priority=priority)


def admission_order(scheduler: Scheduler, now: float) -> list[int]:
    order: list[int] = []
    while scheduler.has_work:
        plan = scheduler.schedule(now)
        order.extend(c.request.request_id for c in plan.prefills if c.request.request_id not in order)
        now += STEP_S
        scheduler.update(plan, StepOutcome(STEP_S), now)
    return order


def test_aging_bounds_grow_with_the_class():
    assert aging_bounds_s(60.0) == (math.inf, 15.0, 30.0, 45.0, 60.0)
    with pytest.raises(ValueError):
        aging_bounds_s(60.0, (1.0, 0.5, 1.0, 1.0))


def test_when_everything_is_overdue_semantic_aging_serves_the_classes_in_order():
    # A burst longer than the bound: by t=100 every request is overdue. They arrived least
    # urgent first, so serving the overdue in arrival order (one bound for all) would put
    # class 4 first; earliest deadline first with class-scaled bounds keeps 1, 2, 3, 4.
    scheduler = make_scheduler("semantic-aging", max_wait_s=10.0)
    for request_id, priority in enumerate((4, 3, 2, 1)):
        scheduler.add_request(request(request_id, priority, arrival=0.001 * request_id))
    assert admission_order(scheduler, now=100.0) == [3, 2, 1, 0]


def wait_of_a_routine_request(policy_name: str, stream_every_steps: int, **options) -> float:
    """One seat; a routine request at t=0 and, until t=20 s, a class 1-3 request of 3 tokens
    every ``stream_every_steps`` steps (3: the seat is always busy; 1: three times overload).
    Returns the routine request's wait for its seat."""
    scheduler = make_scheduler(policy_name, **options)
    routine = request(0, 4, arrival=0.0, output=3)
    scheduler.add_request(routine)
    now, step_index, next_id = 0.0, 0, 1
    while routine.status is not RequestStatus.FINISHED:
        if now < 20.0 and step_index % stream_every_steps == 0:
            scheduler.add_request(request(next_id, 1 + next_id % 3, arrival=now, output=3))
            next_id += 1
        plan = scheduler.schedule(now)
        now += STEP_S
        step_index += 1
        scheduler.update(plan, StepOutcome(STEP_S), now)
    return routine.queueing_delay_s


def test_when_everything_is_late_semantic_guard_serves_the_classes_in_order():
    # Late after 1.625, 1.75, 1.875, 2 x the bound for classes 1..4: a burst that makes
    # everything late still ends in class order, even where the policy's own order would not
    # (with class weights and class 1 the longest, it would serve class 4 first).
    scheduler = make_scheduler("semantic-guard", max_wait_s=10.0,
                               class_weights=SMITH_CLASS_WEIGHTS)
    for request_id, priority in enumerate((4, 3, 2, 1)):
        scheduler.add_request(request(request_id, priority, arrival=0.001 * request_id,
                                      output=1 + 100 * (5 - priority)))
    assert admission_order(scheduler, now=100.0) == [3, 2, 1, 0]


@pytest.mark.parametrize("policy_name", ["semantic-aging", "semantic-guard"])
def test_a_routine_request_waits_at_most_its_bound_plus_one_service_time(policy_name):
    # Without aging it would wait until the stream stops, at t=20 s (next test).
    wait_s = wait_of_a_routine_request(policy_name, stream_every_steps=3, max_wait_s=2.0)
    assert wait_s <= 2.0 + 3 * STEP_S + 1e-9


def test_without_aging_the_routine_request_starves_until_the_stream_stops():
    assert wait_of_a_routine_request("semantic", stream_every_steps=3) >= 20.0


@pytest.mark.parametrize("policy_name", ["semantic-aging", "semantic-guard"])
def test_under_overload_the_wait_stays_bounded(policy_name):
    # Three times overload: the stream's own requests become overdue too and rank before the
    # routine one (earlier deadlines; for semantic-guard also less work). Earliest deadline
    # first (semantic-aging), or among the late (semantic-guard, twice the bound), still lets
    # it through long before the stream stops; without the late rule semantic-guard would
    # serve the overdue by work and the routine request would wait the whole 20 s.
    assert wait_of_a_routine_request(policy_name, stream_every_steps=1, max_wait_s=2.0) < 8.0


def test_semantic_guard_serves_the_overdue_by_its_own_order():
    # Both overdue (waited 10 s) but not late (17.5 s for class 2): semantic-guard keeps its
    # own order among them (a burst is then served as without aging), here the shorter of two
    # class-2 requests first although it arrived second; an emergency still goes first. Once
    # late, they go earliest deadline first.
    def order(now: float) -> list[int]:
        scheduler = make_scheduler("semantic-guard", max_wait_s=10.0)
        scheduler.add_request(request(0, 2, arrival=0.0, output=400))
        scheduler.add_request(request(1, 2, arrival=0.001, output=2))
        scheduler.add_request(request(2, 0, arrival=now, output=2))
        return admission_order(scheduler, now)

    assert order(15.0) == [2, 1, 0]
    assert order(25.0) == [2, 0, 1]
