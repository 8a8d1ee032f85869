"""The executor half of a step: carry out a ``StepPlan``, say what it took and produced.

The same contract as nano-vllm's and vLLM's model runners: the scheduler plans, an executor
runs the plan and returns a ``StepOutcome``, the scheduler's ``update(plan, outcome, now)``
applies it. ``SimExecutor`` charges the step-time model's cost and produces no tokens; the
real engine's ``TorchExecutor`` (``inference/engine``) runs a model and returns its token ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from scheduling.plan import StepPlan
from scheduling.step_time import StepTimeModel


@dataclass(slots=True)
class StepOutcome:
    """What one executed plan took and produced (not frozen: one is made per simulated step,
    and a frozen dataclass's constructor costs several times a plain one's)."""

    step_time_s: float
    """Time the plan took (all of its ``num_iterations``)."""
    new_token_ids: Mapping[int, int | None] | None = None
    """Per scheduled request id, the token it produced, or None for a prefill chunk that has
    not reached the end of its tokens. None from an executor that produces no tokens."""
    stopped_ids: frozenset[int] = frozenset()
    """Requests whose new token ends them early (end of sequence); the scheduler finishes
    them as well as those reaching their length."""


class Executor(Protocol):
    def run(self, plan: StepPlan) -> StepOutcome: ...


class SimExecutor:
    """Runs plans on the step-time model: no tokens, only their cost."""

    def __init__(self, step_time: StepTimeModel) -> None:
        self.step_time = step_time

    def run(self, plan: StepPlan) -> StepOutcome:
        return StepOutcome(self.step_time.plan_s(plan))
