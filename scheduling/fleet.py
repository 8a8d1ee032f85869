"""Fleet simulation: N replicas of the single-engine simulation behind a router, on one clock.

Each replica is today's :class:`~scheduling.simulator.Simulation` stepping logic (same
setting, limits and policy, its own scheduler and KV cache); their step ends share one heap,
ordered by (time, replica index), and calls reach the router at arrival plus predictor
latency, as in the single engine. At equal times arrivals come first; all replicas whose
steps end at one instant finish them before any takes from the broker, so the one holding
fewest takes first, and a replica that frees room takes at that same instant.

A replica's steady decode run is planned without a horizon (other replicas' events do not
concern it) and cut back, exactly as the single engine's horizon would have cut it, when a
call is given to it mid-run: a fleet of one behind ``least-loaded`` reproduces the single
engine bit for bit.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from scheduling.hardware import HardwareSetting
from scheduling.plan import BatchLimits, StepPlan
from scheduling.policies import Policy
from scheduling.request import Request
from scheduling.result import RunResult, Timeline
from scheduling.routers import (DEFAULT_RESERVE_MARGIN, DEFAULT_URGENT_RESERVE, ROUTERS_WITH_RESERVE, ROUTERS_WITH_URGENT_RESERVE, Router,
                                is_urgent, make_router, router_names)
from scheduling.simulator import STEP_END_RANK, Simulation, StepEnd


@dataclass(frozen=True)
class FleetConfig:
    """How many replicas, which router, and how many calls a replica may hold."""

    num_replicas: int = 1
    router: str = "fifo"
    reserve: int | None = None
    """Calls a replica holds before it stops taking from the broker (``fifo``, ``semantic``);
    None: its ``max_num_seqs`` plus the deployed worker's margin of 2."""
    urgent_reserve: int | None = None
    """``semantic``: calls a replica may hold beyond ``reserve`` in all (room for urgent ones);
    None: 2, as the deployed worker (``TRIAGE_FLEET_URGENT_RESERVE``)."""

    def __post_init__(self) -> None:
        _require_int(self.num_replicas, "num_replicas", 1)
        if self.router not in router_names():
            raise ValueError(f"unknown router {self.router!r}; choose from {', '.join(router_names())}")
        if self.reserve is not None:
            _require_int(self.reserve, "reserve", 1)  # 0: no replica would ever take a call
            if self.router not in ROUTERS_WITH_RESERVE:
                raise ValueError(f"reserve applies only to the {' and '.join(ROUTERS_WITH_RESERVE)} "
                                 f"routers, not {self.router!r}")
        if self.urgent_reserve is not None:
            _require_int(self.urgent_reserve, "urgent_reserve", 0)
            if self.router not in ROUTERS_WITH_URGENT_RESERVE:
                raise ValueError(f"urgent_reserve applies only to the semantic router, "
                                 f"not {self.router!r}")

    def reserve_for(self, limits: BatchLimits) -> int | None:
        if self.router not in ROUTERS_WITH_RESERVE:
            return None
        return self.reserve if self.reserve is not None else limits.max_num_seqs + DEFAULT_RESERVE_MARGIN

    def urgent_reserve_for(self, limits: BatchLimits) -> int | None:
        if self.router not in ROUTERS_WITH_URGENT_RESERVE:
            return None
        return self.urgent_reserve if self.urgent_reserve is not None else DEFAULT_URGENT_RESERVE

    def describe(self, limits: BatchLimits) -> dict:
        """The report's ``"fleet"`` entry (None where a router has no such limit)."""
        return {"replicas": self.num_replicas, "router": self.router,
                "reserve": self.reserve_for(limits), "urgent_reserve": self.urgent_reserve_for(limits)}


def _require_int(value: int, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


class Replica(Simulation):
    """One engine of the fleet: the single engine's step planning, its events on the fleet's heap."""

    def __init__(self, index: int, fleet_events: list, setting: HardwareSetting, policy: Policy,
                 limits: BatchLimits) -> None:
        super().__init__([], setting, policy, limits)
        self.index = index
        self.num_held = 0
        self.num_held_urgent = 0
        self.taken: list[Request] = []
        """Every call this replica took, in the order it took them."""
        self.step: StepEnd | None = None
        """The step in flight; a heap entry holding another one is stale (its run was cut)."""
        self.step_started_s = 0.0
        self._fleet_events = fleet_events

    def take(self, request: Request, now: float) -> None:
        """Hold ``request`` from ``now``: start stepping if idle, or end a steady run at the
        first iteration boundary at or after ``now`` (where the single engine's horizon would)."""
        self.num_held += 1
        self.num_held_urgent += is_urgent(request)
        self.taken.append(request)
        self.scheduler.add_request(request)
        if not self.busy:
            self.start_step(now)
        elif self.step is not None and self.step.plan.num_iterations > 1:
            self._cut_run(now)

    def start_step(self, now: float) -> None:
        self.step_started_s = now
        super().start_step(now)

    def finish(self, step: StepEnd, now: float) -> list[Request]:
        """Apply the step that ended at ``now``; the fleet calls :meth:`resume` afterwards."""
        self.step = None
        finished = self.scheduler.update(step.plan, step.outcome, now).finished
        self.num_iterations += step.plan.num_iterations
        self.num_held -= len(finished)
        self.num_held_urgent -= sum(map(is_urgent, finished))
        return finished

    def resume(self, now: float) -> None:
        if self.scheduler.has_work:
            self.start_step(now)
        else:
            self.busy = False

    def _event_horizon_s(self) -> float:
        # The fleet's heap holds every replica's events: only a call given to this replica can
        # change its plan, and take() cuts the run then (aging's horizon still applies).
        return math.inf

    def _cut_run(self, now: float) -> None:
        step = self.step
        plan = step.plan
        num_decodes, context = len(plan.decodes), plan.decode_context_tokens
        # The same computation as Simulation._steady_iterations with this arrival as horizon.
        num_iterations = self.step_time.decode_iterations_to_reach(num_decodes, context,
                                                                   now - self.step_started_s)
        if num_iterations >= plan.num_iterations:
            return
        plan.num_iterations = num_iterations
        outcome = self.executor.run(plan)
        self._push(self.step_started_s + outcome.step_time_s, STEP_END_RANK, StepEnd(plan, outcome))

    def _push(self, when: float, rank: int, event: StepEnd) -> None:
        self.step = event
        heapq.heappush(self._fleet_events, (when, self.index, next(self._sequence), event))


@dataclass(slots=True)
class FleetResult:
    """One policy's run over a fleet: fleet-wide figures in the single engine's shape, plus
    what each replica took."""

    run: RunResult
    """Every request, the fleet-wide timeline (broker plus replicas), summed counters."""
    replica_requests: list[list[Request]]
    replica_preemptions: list[int]
    replica_iterations: list[int]
    fleet: dict = field(default_factory=dict)


class Fleet:
    """Runs one policy in every replica over one request list; build a new one per run."""

    def __init__(self, requests: Sequence[Request], setting: HardwareSetting,
                 policy_factory: Callable[[], Policy], limits: BatchLimits, config: FleetConfig,
                 predictor_latency_s: float = 0.0,
                 on_finish: Callable[[int], None] | None = None) -> None:
        self.requests = sorted(requests, key=lambda r: (r.arrival_time_s, r.request_id))
        self.config = config
        self.limits = limits
        self.predictor_latency_s = predictor_latency_s
        self._events: list[tuple[float, int, int, StepEnd]] = []
        self.replicas = [Replica(i, self._events, setting, policy_factory(), limits)
                         for i in range(config.num_replicas)]
        self.router: Router = make_router(config.router, self.replicas,
                                          config.reserve_for(limits) or 0,
                                          config.urgent_reserve_for(limits) or 0)
        self.policy_name = self.replicas[0].policy_name
        self.timeline = Timeline()
        self._on_finish = on_finish
        self._next_arrival = 0
        # Fleet totals as of each replica's last step end, for the timeline.
        self._recorded = [(0, 0, 0)] * config.num_replicas
        self._num_waiting = self._num_running = self._num_kv_blocks_used = 0

    def run(self) -> FleetResult:
        started = time.perf_counter()
        while self.process_next_instant():
            pass
        if self.router.num_queued or any(r.scheduler.has_work for r in self.replicas):
            raise RuntimeError("fleet simulation ended with calls still queued")  # a bug, not input
        replicas = self.replicas
        run = RunResult(policy=self.policy_name, requests=self.requests, timeline=self.timeline,
                        num_kv_blocks=sum(r.kv.num_blocks for r in replicas),
                        num_preemptions=sum(r.scheduler.num_preemptions for r in replicas),
                        num_iterations=sum(r.num_iterations for r in replicas),
                        wall_time_s=time.perf_counter() - started)
        return FleetResult(run, [r.taken for r in replicas],
                           [r.scheduler.num_preemptions for r in replicas],
                           [r.num_iterations for r in replicas], self.config.describe(self.limits))

    def process_next_instant(self) -> bool:
        """Handle the next arrival, or every step end at the next time; False when all is done."""
        events = self._events
        if self._next_arrival < len(self.requests):
            request = self.requests[self._next_arrival]
            ready_s = request.arrival_time_s + self.predictor_latency_s
        else:
            request, ready_s = None, math.inf
        if events and events[0][0] < ready_s:
            self._finish_steps(events[0][0])
        elif request is not None:
            self._next_arrival += 1
            self.router.route(request, ready_s)
        else:
            return False
        return True

    def _finish_steps(self, now: float) -> None:
        events, replicas = self._events, self.replicas
        ended: list[Replica] = []
        while events and events[0][0] == now:
            _, index, _, step = heapq.heappop(events)
            replica = replicas[index]
            if step is not replica.step:
                continue  # a steady run that a later take() cut short
            finished = replica.finish(step, now)
            self._record(replica, now, step.plan.num_scheduled_tokens)
            if finished and self._on_finish is not None:
                self._on_finish(len(finished))
            ended.append(replica)
        if ended:
            self.router.refill(now)
            for replica in ended:
                replica.resume(now)

    def _record(self, replica: Replica, now: float, num_batched_tokens: int) -> None:
        scheduler = replica.scheduler
        state = (len(scheduler.waiting), scheduler.num_running, replica.kv.num_used_blocks)
        waiting, running, kv_used = self._recorded[replica.index]
        self._recorded[replica.index] = state
        self._num_waiting += state[0] - waiting
        self._num_running += state[1] - running
        self._num_kv_blocks_used += state[2] - kv_used
        self.timeline.record(now, self._num_waiting + self.router.num_queued, self._num_running,
                             self._num_kv_blocks_used, num_batched_tokens)


def simulate_fleet(requests: Iterable[Request], setting: HardwareSetting,
                   policy_factory: Callable[[], Policy], limits: BatchLimits, config: FleetConfig,
                   predictor_latency_s: float = 0.0,
                   on_finish: Callable[[int], None] | None = None) -> FleetResult:
    """Run a fleet over fresh copies of ``requests`` (the inputs are left untouched)."""
    fresh = [r.fresh_copy() for r in requests]
    return Fleet(fresh, setting, policy_factory, limits, config, predictor_latency_s, on_finish).run()


def summarize_replicas(result: FleetResult) -> list[dict]:
    """Per replica: calls taken, throughput over the fleet's makespan (so replicas add up to
    the fleet), mean latency, preemptions."""
    requests = result.run.requests
    finished = [r.finish_time_s for r in requests if r.finish_time_s is not None]
    makespan_s = (max(finished) - min(r.arrival_time_s for r in requests)) if finished else None
    summaries = []
    for taken, preemptions in zip(result.replica_requests, result.replica_preemptions):
        latencies = [r.latency_s for r in taken if r.finish_time_s is not None]
        tokens = sum(r.num_output_tokens for r in taken)
        summaries.append({
            "requests": len(taken),
            "throughput_req_s": len(latencies) / makespan_s if makespan_s else None,
            "throughput_tok_s": tokens / makespan_s if makespan_s else None,
            "mean_latency_s": sum(latencies) / len(latencies) if latencies else None,
            "preemptions": preemptions,
        })
    return summaries
