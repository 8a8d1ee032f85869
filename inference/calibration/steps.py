"""What one engine iteration held and how long it took: the rows the step-time fit learns from.

The engine's ``StepRecord`` counts tokens but not the shape the step-time model needs (each
prefill chunk's cached prefix, each decode's context), so a thin recorder sits between the
engine and its executor and notes every plan as it is carried out; records and plans pair up
one to one (the engine records exactly one ``StepRecord`` per non-empty plan it runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduling.plan import StepPlan

if TYPE_CHECKING:
    from inference.engine import Engine, StepRecord

STEP_KINDS = ("decode", "prefill", "mixed")


@dataclass(frozen=True, slots=True)
class StepSample:
    """One iteration: what its plan held, and its measured duration."""

    decode_contexts: tuple[int, ...]
    """Context each decode attends to (its tokens so far, the one being decoded included)."""
    prefill_chunks: tuple[tuple[int, int], ...]
    """(new tokens p, cached tokens s) of each prefill chunk."""
    duration_s: float

    @property
    def kind(self) -> str:
        if self.decode_contexts and self.prefill_chunks:
            return "mixed"
        return "decode" if self.decode_contexts else "prefill"

    @property
    def num_decodes(self) -> int:
        return len(self.decode_contexts)

    @property
    def batch_size(self) -> int:
        """Requests the step computes for, each of which waits for it to end."""
        return len(self.decode_contexts) + len(self.prefill_chunks)

    @property
    def decode_context_tokens(self) -> int:
        return sum(self.decode_contexts)

    @property
    def padded_decode_tokens(self) -> int:
        """Batch size x longest context: what the batched decode attends over (short rows masked)."""
        return len(self.decode_contexts) * max(self.decode_contexts, default=0)

    @property
    def prefill_quadratic_tokens(self) -> int:
        """Sum of p(2s + p): the step-time model's attention term of the chunks."""
        return sum(p * (2 * s + p) for p, s in self.prefill_chunks)

    @property
    def num_prefill_tokens(self) -> int:
        return sum(p for p, _ in self.prefill_chunks)


def plan_shape(plan: StepPlan) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """(decode contexts, prefill chunks) of a plan that is about to run."""
    # Before the step, a decode has computed all its tokens but the last one, which it now
    # computes: the context it attends to is num_tokens (= the plan's decode_context_tokens).
    contexts = tuple(r.num_tokens for r in plan.decodes)
    chunks = tuple((c.num_new_tokens, c.num_cached_tokens) for c in plan.prefills)
    return contexts, chunks


class PlanRecorder:
    """Stands in for an engine's executor: notes the shape of every non-empty plan, then runs it."""

    def __init__(self, executor) -> None:
        self._executor = executor
        self.shapes: list[tuple[tuple[int, ...], tuple[tuple[int, int], ...]]] = []

    def run(self, plan: StepPlan):
        if not plan.is_empty:
            self.shapes.append(plan_shape(plan))
        return self._executor.run(plan)

    def __getattr__(self, name: str):
        return getattr(self._executor, name)  # release, num_cached_tokens, ...


def attach_recorder(engine: Engine) -> PlanRecorder:
    """Route ``engine``'s plans through a recorder (before its first step)."""
    recorder = PlanRecorder(engine.executor)
    engine.executor = recorder
    return recorder


def samples_from(shapes: Sequence[tuple[tuple[int, ...], tuple[tuple[int, int], ...]]],
                 records: Sequence[StepRecord], *, include_scheduler: bool = True) -> list[StepSample]:
    """Pair recorded plan shapes with the engine's records.

    ``include_scheduler`` adds the engine's own bookkeeping time to the model time: the
    simulator charges nothing else per iteration, so end-to-end latency is predicted best
    when the fitted step time covers both.
    """
    if len(shapes) != len(records):
        raise ValueError(f"{len(shapes)} plans recorded but {len(records)} step records")
    return [StepSample(contexts, chunks,
                       record.step_s + (record.scheduler_s if include_scheduler else 0.0))
            for (contexts, chunks), record in zip(shapes, records)]
