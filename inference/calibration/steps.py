"""What one engine iteration held and how long it took: the rows the step-time fit learns from.

The engine's ``StepRecord`` carries the shape the step-time model prices (each decode's
context, each prefill chunk's new and cached tokens) beside the model time and the engine's
own host time, so samples come from the records alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inference.engine import StepRecord

STEP_KINDS = ("decode", "prefill", "mixed")


@dataclass(frozen=True, slots=True)
class StepSample:
    """One iteration: what its plan held, and its measured duration."""

    decode_contexts: tuple[int, ...]
    """Context each decode attends to (its tokens so far, the one being decoded included)."""
    prefill_chunks: tuple[tuple[int, int], ...]
    """(new tokens p, cached tokens s) of each prefill chunk."""
    model_s: float
    """The executor carrying out the plan."""
    host_s: float = 0.0
    """The engine's own time around it: scheduling and bookkeeping."""

    @property
    def duration_s(self) -> float:
        """The whole iteration, as a request waiting for it feels it."""
        return self.model_s + self.host_s

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


def samples_from(records: Sequence[StepRecord], *, include_scheduler: bool = True) -> list[StepSample]:
    """One sample per engine iteration; ``include_scheduler=False`` leaves the host time out."""
    return [StepSample(record.decode_contexts, record.prefill_chunks, record.step_s,
                       record.scheduler_s if include_scheduler else 0.0)
            for record in records]
