"""The plain objects passed between scheduler and executor each step."""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduling.request import Request


@dataclass(frozen=True)
class BatchLimits:
    """Per-iteration limits, identical for every policy in a comparison (vLLM's names)."""

    max_num_seqs: int = 256
    max_num_batched_tokens: int = 2048

    def __post_init__(self) -> None:
        if self.max_num_seqs < 1:
            raise ValueError(f"max_num_seqs must be >= 1, got {self.max_num_seqs}")
        if self.max_num_batched_tokens < self.max_num_seqs:
            # vLLM's rule too: otherwise a full batch of decodes cannot fit in one step.
            raise ValueError(
                f"max_num_batched_tokens ({self.max_num_batched_tokens}) must be >= "
                f"max_num_seqs ({self.max_num_seqs})")


@dataclass(slots=True)
class PrefillChunk:
    request: Request
    num_new_tokens: int
    num_cached_tokens: int
    """Tokens already in the KV cache when the chunk runs (they are attended to)."""


@dataclass(slots=True)
class StepPlan:
    """What one iteration runs. Built by ``Scheduler.schedule``, carried out by an executor."""

    decodes: list[Request] = field(default_factory=list)
    prefills: list[PrefillChunk] = field(default_factory=list)
    decode_context_tokens: int = 0
    """Sum over decodes of the context each attends to (its tokens so far, itself included)."""
    num_swapped_in_tokens: int = 0
    swapped_in: list[Request] = field(default_factory=list)
    preempted: list[Request] = field(default_factory=list)
    started: list[Request] = field(default_factory=list)
    """Requests scheduled for the first time in this plan."""
    is_steady: bool = False
    """True when, until a request arrives or finishes or the KV cache fills, the scheduler
    would repeat this plan unchanged (one more token each): the simulator may then run many
    iterations at once."""
    num_iterations: int = 1
    """How many times the executor runs this plan (> 1 only for a steady plan, set by a
    driver that can run many decode iterations at once, as the simulator's executor can)."""

    @property
    def num_scheduled_tokens(self) -> int:
        return len(self.decodes) + sum(chunk.num_new_tokens for chunk in self.prefills)

    @property
    def is_empty(self) -> bool:
        return not self.decodes and not self.prefills
