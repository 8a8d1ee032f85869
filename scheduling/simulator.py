"""Discrete-event simulation of one LLM server: a heap of events on a virtual clock.

Two kinds of event: a request reaching the scheduler (its arrival plus the
predictors' latency) and the end of a step. At equal times arrivals come first,
so a request arriving exactly as a step ends is considered for the next step.
Nothing sleeps and all randomness was spent building the workload, so the same
inputs give the same result on any machine.

While the batch only decodes and nothing else could change the scheduler's mind
(a steady plan), the iterations until the next event are run as one step whose
length is the closed-form sum of their step times: this is what makes 10^5
requests take seconds, not hours, and it is exact, not an approximation.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from scheduling.executor import SimExecutor, StepOutcome
from scheduling.hardware import HardwareSetting
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits, StepPlan
from scheduling.policies import Policy
from scheduling.request import Request
from scheduling.result import RunResult, Timeline
from scheduling.scheduler import Scheduler
from scheduling.step_time import StepTimeModel

ARRIVAL_RANK, STEP_END_RANK = 0, 1


@dataclass(slots=True)
class Arrival:
    request: Request

    def handle(self, sim: Simulation, now: float) -> None:
        sim.scheduler.add_request(self.request)
        sim.push_next_arrival()
        if not sim.busy:
            sim.start_step(now)


@dataclass(slots=True)
class StepEnd:
    plan: StepPlan
    outcome: StepOutcome

    def handle(self, sim: Simulation, now: float) -> None:
        sim.finish_step(self, now)


class Simulation:
    """Runs one policy over one request list; build a new one per run."""

    def __init__(self, requests: Sequence[Request], setting: HardwareSetting, policy: Policy,
                 limits: BatchLimits, predictor_latency_s: float = 0.0,
                 on_finish: Callable[[int], None] | None = None) -> None:
        self.step_time = StepTimeModel.from_setting(setting)
        self.executor = SimExecutor(self.step_time)
        self.kv = KVCache(setting.num_kv_blocks, setting.block_size)
        self.scheduler = Scheduler(policy, self.kv, limits, setting.preemption_mode, self.step_time)
        self.policy_name = policy.name
        self.requests = sorted(requests, key=lambda r: (r.arrival_time_s, r.request_id))
        self.predictor_latency_s = predictor_latency_s
        self.timeline = Timeline()
        self.busy = False
        self.num_iterations = 0
        self._on_finish = on_finish
        self._events: list[tuple[float, int, int, Arrival | StepEnd]] = []
        self._sequence = itertools.count()
        self._next_arrival = 0

    def run(self) -> RunResult:
        started = time.perf_counter()
        self.push_next_arrival()
        events = self._events
        while events:
            now, _, _, event = heapq.heappop(events)
            event.handle(self, now)
        if self.scheduler.has_work:
            raise RuntimeError("simulation ended with requests still queued")  # a bug, not input
        return RunResult(policy=self.policy_name, requests=self.requests, timeline=self.timeline,
                         num_kv_blocks=self.kv.num_blocks,
                         num_preemptions=self.scheduler.num_preemptions,
                         num_iterations=self.num_iterations,
                         wall_time_s=time.perf_counter() - started)

    def push_next_arrival(self) -> None:
        if self._next_arrival < len(self.requests):
            request = self.requests[self._next_arrival]
            self._next_arrival += 1
            self._push(request.arrival_time_s + self.predictor_latency_s, ARRIVAL_RANK, Arrival(request))

    def start_step(self, now: float) -> None:
        plan = self.scheduler.schedule(now)
        if plan.is_steady:
            plan.num_iterations = self._steady_iterations(plan, now)
        self.busy = True
        outcome = self.executor.run(plan)
        self._push(now + outcome.step_time_s, STEP_END_RANK, StepEnd(plan, outcome))

    def finish_step(self, step: StepEnd, now: float) -> None:
        update = self.scheduler.update(step.plan, step.outcome, now)
        self.num_iterations += step.plan.num_iterations
        scheduler = self.scheduler
        self.timeline.record(now, len(scheduler.waiting), len(scheduler.running),
                             self.kv.num_used_blocks, step.plan.num_scheduled_tokens)
        if update.finished and self._on_finish is not None:
            self._on_finish(len(update.finished))
        if scheduler.has_work:
            self.start_step(now)
        else:
            self.busy = False

    def _steady_iterations(self, plan: StepPlan, now: float) -> int:
        limit = self.scheduler.max_steady_iterations(plan)
        if limit > 1:
            # Until the next event (an arrival) or the next time aging may change the head.
            horizon = min(self._event_horizon_s(), self.scheduler.steady_horizon_s(now)) - now
            if horizon < math.inf:
                limit = min(limit, self.step_time.decode_iterations_to_reach(
                    len(plan.decodes), plan.decode_context_tokens, horizon))
        return limit

    def _event_horizon_s(self) -> float:
        """When the next event may change the plan: the earliest event on the heap."""
        return self._events[0][0] if self._events else math.inf

    def _push(self, when: float, rank: int, event: Arrival | StepEnd) -> None:
        heapq.heappush(self._events, (when, rank, next(self._sequence), event))


def simulate(requests: Iterable[Request], setting: HardwareSetting, policy: Policy,
             limits: BatchLimits, predictor_latency_s: float = 0.0,
             on_finish: Callable[[int], None] | None = None) -> RunResult:
    """Run ``policy`` over fresh copies of ``requests`` (the inputs are left untouched)."""
    fresh = [r.fresh_copy() for r in requests]
    return Simulation(fresh, setting, policy, limits, predictor_latency_s, on_finish).run()
