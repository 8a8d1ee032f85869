"""Replaying one trace on the real engine in real time, then in the simulator with the same requests.

Real side: a request is added to the engine when its arrival time comes; one that comes
while a step runs is added as soon as the step ends (the engine is single-threaded, as the
simulator's server is). Its latency counts from its trace arrival, so that wait is included.

Simulated side: the same request ids, arrival times, prompt token counts, priorities and
predicted lengths, with the output lengths the real model produced, under the same
``BatchLimits`` and KV capacity (the setting's, which the real engine is given too).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inference.calibration.steps import StepSample, samples_from
from inference.fidelity.trace import TraceCall
from scheduling.hardware import HardwareSetting
from scheduling.plan import BatchLimits
from scheduling.policies import make_policy
from scheduling.request import Request
from scheduling.simulator import simulate


class CpuClock:
    """This process's CPU time, for replays on a CPU shared with other jobs.

    Wall time there mixes the engine's cost with other processes' load; CPU time counts only
    this process's work (exactly the engine's with one torch thread). Idle waits cannot be
    slept in CPU time, so ``sleep`` moves the clock forward instead: the replay keeps its
    arrival times, each step costs what the engine computed, and nobody else's load counts.
    """

    def __init__(self) -> None:
        self._skipped_s = 0.0

    def __call__(self) -> float:
        return time.process_time() + self._skipped_s

    def sleep(self, seconds: float) -> None:
        self._skipped_s += max(0.0, seconds)


@dataclass(frozen=True)
class Outcome:
    """One request's result on one side."""

    request_id: int
    priority: int
    arrival_s: float
    prompt_tokens: int
    output_tokens: int
    predicted_output_tokens: int
    latency_s: float
    ttft_s: float


@dataclass(frozen=True)
class RealRun:
    outcomes: list[Outcome]
    steps: list[StepSample]
    """Every engine iteration: what it held and what it took (model plus bookkeeping time)."""

    @property
    def busy_s(self) -> float:
        return sum(step.duration_s for step in self.steps)


def replay_real(model, trace: Sequence[TraceCall], *, policy: str, limits: BatchLimits,
                setting: HardwareSetting, max_new_tokens: int, device: str | None = None,
                eos_token_ids: Sequence[int] | None = None,
                clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] = time.sleep) -> RealRun:
    """Serve ``trace`` on a fresh engine under ``policy``; every call gets ``max_new_tokens`` at most."""
    from inference.engine import Engine

    engine = Engine(model, None, policy, limits, setting.kv_capacity_tokens,
                    block_size=setting.block_size, device=device, clock=clock,
                    eos_token_ids=eos_token_ids)
    pending = deque(sorted(trace, key=lambda c: (c.arrival_s, c.request_id)))
    lag_s: dict[int, float] = {}
    start = clock()
    while pending or engine.has_work:
        if not engine.has_work:
            sleep(max(0.0, pending[0].arrival_s - (clock() - start)))
        now = clock() - start
        # When idle we slept until the next arrival: it is due even if the clock's rounding
        # says a hair less (a fake clock far from zero would otherwise never get there).
        while pending and (pending[0].arrival_s <= now or not engine.has_work):
            call = pending.popleft()
            lag_s[call.request_id] = max(0.0, now - call.arrival_s)
            engine.add_request(list(call.prompt_ids), priority=call.priority,
                               max_new_tokens=max_new_tokens, request_id=call.request_id,
                               predicted_output_tokens=call.predicted_output_tokens)
        engine.step()
    outcomes = []
    for call in trace:
        request = engine.requests[call.request_id].request
        lag = lag_s[call.request_id]  # engine times count from when it was added, not due
        outcomes.append(Outcome(call.request_id, call.priority, call.arrival_s, len(call.prompt_ids),
                                request.num_output_tokens, request.predicted_output_tokens,  # as ranked
                                request.latency_s + lag, request.ttft_s + lag))
    return RealRun(outcomes, samples_from(engine.step_records))


def replay_simulated(real: Sequence[Outcome], *, policy: str, limits: BatchLimits,
                     setting: HardwareSetting) -> list[Outcome]:
    """The same requests in the simulator; outputs as long as the real ones turned out."""
    requests = [Request(o.request_id, o.arrival_s, o.prompt_tokens, o.output_tokens, o.priority,
                        predicted_output_tokens=o.predicted_output_tokens) for o in real]
    result = simulate(requests, setting, make_policy(policy), limits)
    by_id = {r.request_id: r for r in result.requests}
    return [Outcome(o.request_id, o.priority, o.arrival_s, o.prompt_tokens, o.output_tokens,
                    o.predicted_output_tokens, by_id[o.request_id].latency_s,
                    by_id[o.request_id].ttft_s) for o in real]
