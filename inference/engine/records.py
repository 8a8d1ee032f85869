"""What the engine records per iteration, and the scheduler-overhead share computed from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One engine iteration. Times are seconds on the engine's clock, from its construction."""

    time_s: float
    """When the iteration ended."""
    batch_size: int
    """Requests that computed tokens: decodes plus prefill chunks."""
    num_prefill_tokens: int
    num_decode_tokens: int
    num_kv_blocks_used: int
    """Blocks held while the iteration ran (after the scheduler allocated for it)."""
    num_kv_blocks: int
    step_s: float
    """Model time: the executor carrying out the plan."""
    scheduler_s: float
    """Engine-side time: ``schedule``, token bookkeeping and ``update``, not the callbacks."""
    num_preempted: int
    num_finished: int
    num_waiting: int
    """Requests still waiting after the iteration."""


def scheduler_overhead_share(records: Sequence[StepRecord]) -> float:
    """Fraction of busy time spent deciding rather than computing (0 when nothing ran)."""
    scheduler_s = sum(r.scheduler_s for r in records)
    total_s = scheduler_s + sum(r.step_s for r in records)
    return scheduler_s / total_s if total_s > 0 else 0.0
