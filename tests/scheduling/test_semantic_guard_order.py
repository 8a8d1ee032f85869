"""semantic-guard's order: emergencies first, then weighted remaining work; and what it buys
in the KV-bound reference burst."""

from __future__ import annotations

import random

from scheduling.executor import StepOutcome
from scheduling import workloads
from scheduling.hardware import load_builtin_setting
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits
from scheduling.policies import SMITH_CLASS_WEIGHTS, make_policy
from scheduling.request import Request
from scheduling.scheduler import Scheduler
from scheduling.simulator import simulate
from scheduling.step_time import StepTimeModel

SETTING = load_builtin_setting("A100_7B")
MODEL = StepTimeModel.from_setting(SETTING)
STEP_S = 0.01


def make_scheduler(policy_name: str = "semantic-guard", *, max_num_seqs: int = 1,
                   step_time: StepTimeModel | None = MODEL, **options) -> Scheduler:
    return Scheduler(make_policy(policy_name, **options), KVCache(512, 16),
                     BatchLimits(max_num_seqs=max_num_seqs, max_num_batched_tokens=2048),
                     "recompute", step_time)


def request(request_id: int, priority: int, *, prompt: int = 16, output: int = 10,
            arrival: float = 0.0) -> Request:
    return Request(request_id=request_id, arrival_time_s=arrival, prompt_tokens=prompt,
                   output_tokens=output, priority=priority)


def admission_order(scheduler: Scheduler, requests: list[Request]) -> list[int]:
    for r in requests:
        scheduler.add_request(r)
    order: list[int] = []
    now = 0.0
    while scheduler.has_work:
        plan = scheduler.schedule(now)
        order.extend(c.request.request_id for c in plan.prefills if c.request.request_id not in order)
        now += STEP_S
        scheduler.update(plan, StepOutcome(STEP_S), now)
    return order


def test_an_emergency_goes_first_however_long():
    order = admission_order(make_scheduler(), [request(0, 4, output=1), request(1, 1, output=2),
                                               request(2, 0, output=400)])
    assert order[0] == 2


def test_urgency_comes_first_at_every_level():
    # The product promise: a long class-1 request goes before a one-token class-4 one.
    requests = [request(0, 4, output=1), request(1, 1, output=400), request(2, 3, output=2)]
    assert admission_order(make_scheduler(), requests) == [1, 2, 0]


def test_with_class_weights_classes_1_to_4_go_by_remaining_work_over_their_weight():
    # Research option. Weights 1.75 (class 1) and 1.0 (class 4): a class-4 request with less
    # than 1/1.75 of a class-1 request's work goes first, one with more goes after it.
    def order(routine_output: int) -> list[int]:
        scheduler = make_scheduler(class_weights=SMITH_CLASS_WEIGHTS)
        return admission_order(scheduler, [request(0, 1, output=100),
                                           request(1, 4, output=routine_output)])

    assert order(50) == [1, 0]
    assert order(70) == [0, 1]


def test_work_counts_the_prompt_still_to_prefill():
    # Same class, same output: the short prompt first (semantic, counting output only, ties
    # and keeps arrival order).
    requests = [request(0, 2, prompt=1500, output=20), request(1, 2, prompt=10, output=20)]
    assert admission_order(make_scheduler(), requests) == [1, 0]
    requests = [request(0, 2, prompt=1500, output=20), request(1, 2, prompt=10, output=20)]
    assert admission_order(make_scheduler("semantic"), requests) == [0, 1]


def test_without_a_step_time_model_work_is_remaining_output_tokens():
    requests = [request(0, 2, prompt=1500, output=20), request(1, 2, prompt=10, output=20)]
    assert admission_order(make_scheduler(step_time=None), requests) == [0, 1]


def test_a_more_urgent_class_takes_a_seat_from_a_running_request():
    def first_plan(urgent_class: int, **options):
        scheduler = make_scheduler(**options)
        routine = request(0, 4, output=50)
        scheduler.add_request(routine)
        plan = scheduler.schedule(0.0)
        scheduler.update(plan, StepOutcome(STEP_S), STEP_S)
        scheduler.add_request(request(1, urgent_class, output=2, arrival=STEP_S))
        return scheduler.schedule(STEP_S), routine

    plan, routine = first_plan(1)
    assert plan.preempted == [routine] and [c.request.request_id for c in plan.prefills] == [1]
    # With class weights (research option) classes 1..4 share one level: only class 0 displaces.
    plan, _ = first_plan(1, class_weights=SMITH_CLASS_WEIGHTS)
    assert plan.preempted == []
    plan, routine = first_plan(0, class_weights=SMITH_CLASS_WEIGHTS)
    assert plan.preempted == [routine]


def test_a_running_requests_key_never_grows():
    # The scheduler caches the worst running key as an upper bound; that is only sound if
    # a running request's key never increases as its prefill and decode proceed.
    policy = make_policy("semantic-guard")
    policy.bind(MODEL, BatchLimits(), SETTING.kv_capacity_tokens)
    r = request(0, 3, prompt=900, output=40)
    keys = [policy.key(r)]
    while r.num_computed_tokens < r.prompt_tokens:  # chunked prefill, 128 tokens at a time
        r.num_computed_tokens = min(r.num_computed_tokens + 128, r.prompt_tokens)
        if r.num_computed_tokens == r.prompt_tokens:
            r.num_output_tokens = 1
        keys.append(policy.key(r))
    while r.num_output_tokens < r.output_tokens:
        r.num_computed_tokens += 1
        r.num_output_tokens += 1
        keys.append(policy.key(r))
    assert all(later <= earlier for earlier, later in zip(keys, keys[1:]))
    assert keys[-1] < keys[0]


def test_in_the_kv_bound_burst_emergencies_beat_strict_priority_first():
    # The regime 2: the reference burst at vLLM's limits. semantic lost to pjf on its
    # own class 0 (1.08x); the guard and the work order put it well below.
    requests = workloads.seed_burst(random.Random("workload:1"), user_request_gap_s=0.01,
                                    max_concurrent_user_requests=50)

    def p0_mean_s(policy_name: str) -> float:
        result = simulate(requests, SETTING, make_policy(policy_name), BatchLimits())
        latencies = [r.latency_s for r in result.requests if r.priority == 0]
        return sum(latencies) / len(latencies)

    assert p0_mean_s("semantic-guard") < 0.85 * p0_mean_s("pjf")
