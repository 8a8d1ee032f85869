"""The executor contract: ``schedule`` -> ``Executor.run(plan)`` -> ``update(plan, outcome, now)``."""

from __future__ import annotations

import pytest

from scheduling.executor import SimExecutor, StepOutcome
from scheduling.hardware import load_builtin_setting
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits, StepPlan
from scheduling.policies import make_policy
from scheduling.request import Request, RequestStatus
from scheduling.scheduler import Scheduler
from scheduling.step_time import StepTimeModel

MODEL = StepTimeModel(c1=1e-6, c2=0.01, prefill_a=1e-7, prefill_b=1e-4, kv_reload_s_per_token=0.0,
                      per_decode_s=2e-4, per_prefill_chunk_s=1e-3, host_overhead_s=4e-3)


def make_scheduler(num_blocks: int = 64, max_num_seqs: int = 4, policy: str = "fcfs") -> Scheduler:
    return Scheduler(make_policy(policy), KVCache(num_blocks, 16), BatchLimits(max_num_seqs, 256),
                     "recompute", MODEL)


def request(request_id: int, prompt: int = 20, output: int = 5, priority: int = 2) -> Request:
    return Request(request_id, 0.0, prompt_tokens=prompt, output_tokens=output, priority=priority)


def test_the_sim_executor_charges_the_step_time_model_for_the_plan():
    scheduler = make_scheduler()
    for i in range(3):
        scheduler.add_request(request(i, prompt=30 + i))
    plan = scheduler.schedule(0.0)
    outcome = SimExecutor(MODEL).run(plan)
    expected = MODEL.step_s(0, 0, [(30, 0), (31, 0), (32, 0)])
    assert outcome.step_time_s == pytest.approx(expected)
    assert outcome.new_token_ids is None and outcome.stopped_ids == frozenset()
    # A steady run of k iterations costs the closed-form sum.
    update = scheduler.update(plan, outcome, outcome.step_time_s)
    plan = scheduler.schedule(outcome.step_time_s)
    assert plan.is_steady
    plan.num_iterations = 3
    assert SimExecutor(MODEL).run(plan).step_time_s == pytest.approx(
        MODEL.decode_run_s(3, plan.decode_context_tokens, 3))
    assert update.finished == []


def test_update_says_which_requests_started_and_which_finished():
    scheduler = make_scheduler(max_num_seqs=2)
    first, second, third = request(0, output=1), request(1, output=3), request(2, output=2)
    for r in (first, second, third):
        scheduler.add_request(r)
    plan = scheduler.schedule(0.0)
    update = scheduler.update(plan, StepOutcome(0.1), 0.1)
    assert [r.request_id for r in update.started] == [0, 1]  # two seats
    assert [r.request_id for r in update.finished] == [0]  # one output token: done at prefill
    plan = scheduler.schedule(0.1)
    update = scheduler.update(plan, StepOutcome(0.1), 0.2)
    assert [r.request_id for r in update.started] == [2]
    assert update.finished == []


def test_a_request_the_executor_stopped_finishes_at_that_token():
    scheduler = make_scheduler()
    long = request(0, output=50)
    scheduler.add_request(long)
    scheduler.update(scheduler.schedule(0.0), StepOutcome(0.1), 0.1)  # prefill: token 1
    plan = scheduler.schedule(0.1)
    update = scheduler.update(plan, StepOutcome(0.1, {0: 7}, frozenset({0})), 0.2)
    assert update.finished == [long]
    assert long.status is RequestStatus.FINISHED and long.num_output_tokens == 2
    assert scheduler.kv.num_used_blocks == 0 and not scheduler.has_work


def test_stopping_a_request_that_is_not_in_the_plan_is_refused():
    scheduler = make_scheduler()
    scheduler.add_request(request(0))
    plan = scheduler.schedule(0.0)
    with pytest.raises(ValueError, match="request 9 was stopped but is not in the plan"):
        scheduler.update(plan, StepOutcome(0.1, {}, frozenset({9})), 0.1)


def test_a_plan_that_only_preempted_the_last_runner_also_carries_its_retry(monkeypatch):
    """If a first pass preempts the last runner and cannot re-admit it (a victim is not taken
    back in the pass that preempted it), ``schedule`` plans again: one plan with the
    preemption first and the recompute after, never an empty plan for the driver."""
    scheduler = make_scheduler()
    runner = request(0, prompt=40, output=30)
    scheduler.add_request(runner)
    scheduler.update(scheduler.schedule(0.0), StepOutcome(0.1), 0.1)
    assert runner.is_decoding
    first_pass = Scheduler._plan

    def preempt_only(self, now):
        monkeypatch.setattr(Scheduler, "_plan", first_pass)
        plan = StepPlan()
        self._preempt(runner, plan, {runner.request_id})
        return plan
    monkeypatch.setattr(Scheduler, "_plan", preempt_only)
    plan = scheduler.schedule(0.1)
    assert plan.preempted == [runner]
    assert [(c.request, c.num_new_tokens, c.num_cached_tokens) for c in plan.prefills] == [(runner, 41, 0)]


def test_simulating_through_the_contract_matches_the_settings_step_costs():
    """The simulator's busy time is exactly the executor's outcomes summed (nothing else charged)."""
    from scheduling.simulator import Simulation
    setting = load_builtin_setting("A100_7B")
    requests = [Request(i, 0.0, prompt_tokens=100, output_tokens=20, priority=i % 5) for i in range(6)]
    sim = Simulation(requests, setting, make_policy("semantic"), BatchLimits(4, 512))
    charged = []
    run = sim.executor.run
    sim.executor.run = lambda plan: charged.append(run(plan)) or charged[-1]
    result = sim.run()
    assert max(r.finish_time_s for r in result.requests) == pytest.approx(
        sum(o.step_time_s for o in charged))
