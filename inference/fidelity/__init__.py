"""Simulator fidelity: one trace of calls replayed on the real engine in real time and in the
simulator with a calibrated setting, end-to-end latency compared per priority.

``trace`` builds the calls, ``replay`` runs both sides, ``compare`` tabulates; ``run_fidelity``
does all three for several policies. The target: mean and p90 latency within 10% for every
priority with at least 20 requests.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inference.fidelity.compare import (MIN_REQUESTS_CHECKED, TARGET_RELATIVE_ERROR, PriorityRow,
                                        compare, format_rows, step_time_bias)
from inference.fidelity.replay import CpuClock, Outcome, RealRun, replay_real, replay_simulated
from inference.fidelity.trace import TraceCall, build_trace, reply_prompt_ids
from scheduling.hardware import HardwareSetting
from scheduling.plan import BatchLimits


WARM_UP_CALLS = 16


@dataclass(frozen=True)
class PolicyFidelity:
    policy: str
    rows: list[PriorityRow]
    real: RealRun
    simulated: list[Outcome]
    wall_s: float


def run_fidelity(model, trace: Sequence[TraceCall], *, policies: Sequence[str], setting: HardwareSetting,
                 limits: BatchLimits, max_new_tokens: int, device: str | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 on_policy: Callable[[PolicyFidelity], None] | None = None) -> list[PolicyFidelity]:
    """Replay ``trace`` for each policy, real then simulated; one result per policy.

    A warm-up replay of the trace's first ``WARM_UP_CALLS`` calls, all at once and not
    recorded, goes first: the first passes of each batch shape pay for allocation and kernel
    choice, which would otherwise fall on whichever policy is replayed first."""
    warm_up = [dataclasses.replace(call, arrival_s=0.0) for call in trace[:WARM_UP_CALLS]]
    replay_real(model, warm_up, policy=policies[0], limits=limits, setting=setting,
                max_new_tokens=max_new_tokens, device=device, clock=clock, sleep=sleep)
    results = []
    for policy in policies:
        started = time.monotonic()
        real = replay_real(model, trace, policy=policy, limits=limits, setting=setting,
                           max_new_tokens=max_new_tokens, device=device, clock=clock, sleep=sleep)
        simulated = replay_simulated(real.outcomes, policy=policy, limits=limits, setting=setting)
        result = PolicyFidelity(policy, compare(policy, real.outcomes, simulated), real, simulated,
                                time.monotonic() - started)
        results.append(result)
        if on_policy is not None:
            on_policy(result)
    return results


__all__ = ["CpuClock", "MIN_REQUESTS_CHECKED", "TARGET_RELATIVE_ERROR", "Outcome", "PolicyFidelity",
           "PriorityRow", "RealRun", "TraceCall", "build_trace", "compare", "format_rows", "replay_real",
           "replay_simulated", "reply_prompt_ids", "run_fidelity", "step_time_bias"]
