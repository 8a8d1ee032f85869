"""Real against simulated end-to-end latency, per priority: the fidelity table and its target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from inference.calibration.steps import STEP_KINDS, StepSample
from inference.fidelity.replay import Outcome
from scheduling.hardware import HardwareSetting
from scheduling.step_time import StepTimeModel

MIN_REQUESTS_CHECKED = 20
"""Priorities with fewer requests are shown but not held to the target (too noisy)."""
TARGET_RELATIVE_ERROR = 0.10


@dataclass(frozen=True)
class PriorityRow:
    policy: str
    priority: int | None
    """None for all priorities together."""
    num_requests: int
    real_mean_s: float
    sim_mean_s: float
    real_p90_s: float
    sim_p90_s: float

    @property
    def mean_error(self) -> float:
        return self.sim_mean_s / self.real_mean_s - 1.0

    @property
    def p90_error(self) -> float:
        return self.sim_p90_s / self.real_p90_s - 1.0

    @property
    def is_checked(self) -> bool:
        return self.num_requests >= MIN_REQUESTS_CHECKED

    @property
    def meets_target(self) -> bool:
        """Mean and p90 both within the target (rows with too few requests always pass)."""
        return not self.is_checked or (abs(self.mean_error) <= TARGET_RELATIVE_ERROR
                                       and abs(self.p90_error) <= TARGET_RELATIVE_ERROR)

    def as_dict(self) -> dict:
        return {**asdict(self), "mean_error": self.mean_error, "p90_error": self.p90_error,
                "checked": self.is_checked, "meets_target": self.meets_target}


def compare(policy: str, real: Sequence[Outcome], simulated: Sequence[Outcome]) -> list[PriorityRow]:
    """One row per priority present, then one for all; outcomes pair up by request id."""
    sim_by_id = {o.request_id: o for o in simulated}
    if set(sim_by_id) != {o.request_id for o in real}:
        raise ValueError("real and simulated runs hold different requests")
    groups: dict[int | None, list[Outcome]] = {}
    for outcome in real:
        groups.setdefault(outcome.priority, []).append(outcome)
    rows = [_row(policy, priority, groups[priority], sim_by_id) for priority in sorted(groups)]
    rows.append(_row(policy, None, list(real), sim_by_id))
    return rows


def _row(policy: str, priority: int | None, real: list[Outcome],
         sim_by_id: dict[int, Outcome]) -> PriorityRow:
    real_s = np.array([o.latency_s for o in real])
    sim_s = np.array([sim_by_id[o.request_id].latency_s for o in real])
    return PriorityRow(policy, priority, len(real), float(real_s.mean()), float(sim_s.mean()),
                       float(np.percentile(real_s, 90)), float(np.percentile(sim_s, 90)))


def format_rows(rows: Sequence[PriorityRow]) -> str:
    """The fidelity table; '!' marks a checked row outside the target."""
    lines = [f"{'policy':10s} {'prio':>4s} {'n':>4s} {'real mean':>10s} {'sim mean':>9s} {'err':>7s} "
             f"{'real p90':>9s} {'sim p90':>8s} {'err':>7s}  target"]
    for row in rows:
        missed = [name for name, error in (("mean", row.mean_error), ("p90", row.p90_error))
                  if abs(error) > TARGET_RELATIVE_ERROR]
        if not row.is_checked:
            verdict = f"n<{MIN_REQUESTS_CHECKED}"
        else:
            verdict = f"MISSED ({', '.join(missed)}) !" if missed else "ok"
        lines.append(f"{row.policy:10s} {'all' if row.priority is None else f'P{row.priority}':>4s} "
                     f"{row.num_requests:4d} {row.real_mean_s:9.2f}s {row.sim_mean_s:8.2f}s "
                     f"{row.mean_error:+7.1%} {row.real_p90_s:8.2f}s {row.sim_p90_s:7.2f}s "
                     f"{row.p90_error:+7.1%}  {verdict}")
    return "\n".join(lines)


def modelled_step_s(model: StepTimeModel, step: StepSample) -> float:
    """What the simulator charges for an iteration of this shape."""
    return model.step_s(step.num_decodes, step.decode_context_tokens, step.prefill_chunks)


def step_time_bias(setting: HardwareSetting,
                   steps: Sequence[StepSample]) -> dict[str, tuple[int, float, float]]:
    """Per step kind (and "all") over the real run's own iterations: (number of steps,
    modelled / measured total time - 1, the same with each step counted once per request in
    it). The second is what latency feels; it shows where a latency error comes from."""
    model = StepTimeModel.from_setting(setting)
    bias = {}
    for kind in (*STEP_KINDS, "all"):
        chosen = [s for s in steps if kind in ("all", s.kind)]
        measured = sum(s.duration_s for s in chosen)
        felt = sum(s.batch_size * s.duration_s for s in chosen)
        if chosen and measured > 0:
            modelled = [modelled_step_s(model, s) for s in chosen]
            bias[kind] = (len(chosen), sum(modelled) / measured - 1.0,
                          sum(s.batch_size * t for s, t in zip(chosen, modelled)) / felt - 1.0)
    return bias
