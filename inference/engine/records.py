"""What the engine records per iteration, and the scheduler-overhead share computed from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scheduling.plan import StepPlan


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
    num_output_tokens: int = 0
    """Tokens generated: one per decode, one per prefill that reached the end of its tokens."""
    decode_contexts: tuple[int, ...] = ()
    """Context each decode attended to (its tokens so far, the one decoded included)."""
    prefill_chunks: tuple[tuple[int, int], ...] = ()
    """(new tokens, cached tokens) of each prefill chunk: with ``decode_contexts``, the shape
    the step-time model prices, so a calibration fits on the records alone."""
    started_ids: tuple[int, ...] = ()
    """Requests scheduled for the first time in this iteration."""
    finished_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One finished request, as a dashboard or a calibration needs it. Seconds."""

    request_id: int
    priority: int
    num_prompt_tokens: int
    num_output_tokens: int
    num_preemptions: int
    queueing_delay_s: float | None
    ttft_s: float | None
    tpot_s: float | None
    """None for a one-token output."""
    latency_s: float | None
    finish_reason: str | None


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """The engine's queue at one moment: what a dashboard's queue view shows."""

    num_waiting_per_level: tuple[int, ...]
    num_running_per_level: tuple[int, ...]
    num_kv_blocks_used: int
    num_kv_blocks: int

    @property
    def kv_use(self) -> float:
        return self.num_kv_blocks_used / self.num_kv_blocks


def plan_shape(plan: StepPlan) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """(decode contexts, prefill chunks) of a plan that is about to run."""
    # Before the step, a decode has computed all its tokens but the last one, which it now
    # computes: the context it attends to is num_tokens (= the plan's decode_context_tokens).
    contexts = tuple(r.num_tokens for r in plan.decodes)
    chunks = tuple((c.num_new_tokens, c.num_cached_tokens) for c in plan.prefills)
    return contexts, chunks


def scheduler_overhead_share(records: Sequence[StepRecord]) -> float:
    """Fraction of busy time spent deciding rather than computing (0 when nothing ran)."""
    scheduler_s = sum(r.scheduler_s for r in records)
    total_s = scheduler_s + sum(r.step_s for r in records)
    return scheduler_s / total_s if total_s > 0 else 0.0
