"""semantic-guard's batch cap: while class-0 requests decode, at most ``urgent_batch_cap``
other decodes share their iterations; the rest wait with their KV kept and resume after."""

from __future__ import annotations

import pytest

from scheduling.executor import StepOutcome
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits
from scheduling.policies import make_policy
from scheduling.request import Request, RequestStatus
from scheduling.scheduler import Scheduler

STEP_S = 0.01


def make_scheduler(**options) -> Scheduler:
    return Scheduler(make_policy("semantic-guard", **options), KVCache(512, 16),
                     BatchLimits(max_num_seqs=8, max_num_batched_tokens=2048), "recompute", None)


def request(request_id: int, priority: int, *, output: int = 30, arrival: float = 0.0) -> Request:
    return Request(request_id, arrival, prompt_tokens=16, output_tokens=output, priority=priority)


def run(scheduler: Scheduler, requests: list[Request], *, urgent_at: float = 0.05,
        urgent: Request | None = None) -> list[list[int]]:
    """Step until done; ``urgent`` is added at ``urgent_at``. Returns the decode ids of each step."""
    for r in requests:
        scheduler.add_request(r)
    now, decodes_per_step = 0.0, []
    while scheduler.has_work or urgent is not None:
        if urgent is not None and now >= urgent_at:
            scheduler.add_request(urgent)
            urgent = None
        plan = scheduler.schedule(now)
        decodes_per_step.append(sorted(r.request_id for r in plan.decodes))
        now += STEP_S
        scheduler.update(plan, StepOutcome(STEP_S), now)
    return decodes_per_step


def test_with_cap_zero_an_emergency_decodes_alone_and_the_others_resume_after():
    routine = [request(i, 3) for i in range(4)]
    emergency = request(9, 0, output=20, arrival=0.05)
    steps = run(make_scheduler(urgent_batch_cap=0, guard_tokens=0), routine, urgent=emergency)
    with_emergency = [s for s in steps if 9 in s]
    assert len(with_emergency) == 19  # 20 tokens: one from its prefill, 19 decodes
    assert all(s == [9] for s in with_emergency)
    assert all(r.status is RequestStatus.FINISHED and r.num_preemptions == 0 for r in routine)
    assert emergency.finish_time_s < min(r.finish_time_s for r in routine)


def test_a_cap_of_two_keeps_the_two_best_others():
    routine = [request(0, 4), request(1, 1), request(2, 3), request(3, 2)]
    steps = run(make_scheduler(urgent_batch_cap=2), routine, urgent=request(9, 0, output=20, arrival=0.05))
    assert {tuple(s) for s in steps if 9 in s} == {(1, 3, 9)}  # classes 1 and 2 go on


def test_without_a_cap_every_decode_shares_the_emergencys_iterations():
    routine = [request(i, 3) for i in range(4)]
    steps = run(make_scheduler(), routine, urgent=request(9, 0, output=20, arrival=0.05))
    assert all(len(s) == 5 for s in steps if 9 in s)


def test_an_overdue_request_is_exempt_from_the_cap():
    old = request(0, 4, output=200, arrival=0.0)
    scheduler = make_scheduler(urgent_batch_cap=0, max_wait_s=0.5)
    steps = run(scheduler, [old], urgent=request(9, 0, output=200), urgent_at=0.1)
    overlap = [s for s in steps if 9 in s]
    assert overlap[0] == [9]  # not yet overdue: the emergency decodes alone
    assert [0, 9] in overlap  # past max_wait_s it decodes beside the emergency again


@pytest.mark.parametrize("cap", [-1, 1.5, True])
def test_a_bad_cap_is_refused_naming_it(cap):
    with pytest.raises(ValueError, match="urgent_batch_cap must be an integer >= 0"):
        make_policy("semantic-guard", urgent_batch_cap=cap)
