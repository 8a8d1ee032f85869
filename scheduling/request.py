"""The one request model shared by the simulator and the real engine.

Token bookkeeping follows vLLM v1: a request knows ``num_tokens`` (prompt plus
output generated so far) and ``num_computed_tokens`` (those whose KV exists).
A step computes some of the missing tokens; when a request catches up, the
model emits one new token. Prefill, chunked prefill, decode and recompute after
preemption are all the same rule.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

NUM_PRIORITIES = 5
"""Urgency levels 0 (life-threatening) .. 4 (routine), as in the 5-level ESI."""


class RequestStatus(enum.Enum):
    PENDING = "pending"  # not yet seen by the scheduler (arrival or predictor latency)
    WAITING = "waiting"
    RUNNING = "running"
    FINISHED = "finished"


def check_priority(value: int, name: str = "priority") -> int:
    """Return ``value`` if it is an urgency level, else raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < NUM_PRIORITIES:
        raise ValueError(f"{name} must be an integer in 0..{NUM_PRIORITIES - 1}, got {value!r}")
    return value


@dataclass(slots=True, eq=False)
class Request:
    """A request: what it is (immutable inputs), what is predicted, and where it stands."""

    request_id: int
    arrival_time_s: float
    prompt_tokens: int
    output_tokens: int
    """True output length: the request finishes when it has generated this many tokens.
    The real engine does not know it in advance and sets it when generation stops."""
    priority: int
    """True urgency 0..4, used for metrics only; schedulers read ``predicted_priority``."""
    predicted_priority: int = -1
    predicted_output_tokens: int = -1

    status: RequestStatus = RequestStatus.PENDING
    num_output_tokens: int = 0
    num_computed_tokens: int = 0
    num_kv_blocks: int = 0
    swapped_out: bool = False
    """True while its KV sits in host memory after a swap preemption."""
    num_preemptions: int = 0
    promoted: bool = False
    """Set by an aging policy once the request has waited past its bound: from then on it
    ranks just after class 0, so no class 1-4 request displaces it again."""
    first_scheduled_time_s: float | None = None
    first_token_time_s: float | None = None
    last_token_time_s: float | None = None
    finish_time_s: float | None = None
    queue_version: int = 0
    """Bumped whenever the request leaves a waiting queue, so queue entries made
    before that are recognised as gone (lazy deletion, never a stale key)."""
    extra: dict = field(default_factory=dict)
    """Free slot for the layer that owns the request (e.g. the engine's token ids)."""

    def __post_init__(self) -> None:
        if self.prompt_tokens < 1:
            raise ValueError(f"prompt_tokens must be >= 1, got {self.prompt_tokens}")
        if self.output_tokens < 1:
            raise ValueError(f"output_tokens must be >= 1, got {self.output_tokens}")
        if self.arrival_time_s < 0:
            raise ValueError(f"arrival_time_s must be >= 0, got {self.arrival_time_s}")
        check_priority(self.priority)
        if self.predicted_priority == -1:
            self.predicted_priority = self.priority
        check_priority(self.predicted_priority, "predicted_priority")
        if self.predicted_output_tokens == -1:
            self.predicted_output_tokens = self.output_tokens
        if self.predicted_output_tokens < 1:
            raise ValueError(
                f"predicted_output_tokens must be >= 1, got {self.predicted_output_tokens}"
            )

    def fresh_copy(self) -> Request:
        """The same request before anything happened to it (for another policy's run)."""
        return Request(self.request_id, self.arrival_time_s, self.prompt_tokens, self.output_tokens,
                       self.priority, self.predicted_priority, self.predicted_output_tokens)

    @property
    def num_tokens(self) -> int:
        """Prompt plus generated tokens: everything the KV cache must eventually hold."""
        return self.prompt_tokens + self.num_output_tokens

    @property
    def num_uncomputed_tokens(self) -> int:
        return self.prompt_tokens + self.num_output_tokens - self.num_computed_tokens

    @property
    def is_decoding(self) -> bool:
        """True when the next step computes exactly the last generated token."""
        return self.num_output_tokens > 0 and self.num_uncomputed_tokens == 1

    @property
    def is_finished(self) -> bool:
        return self.num_output_tokens >= self.output_tokens

    @property
    def predicted_remaining_output_tokens(self) -> int:
        """Predicted decode work left; never negative when the prediction was short."""
        return max(self.predicted_output_tokens - self.num_output_tokens, 0)

    @property
    def queueing_delay_s(self) -> float | None:
        if self.first_scheduled_time_s is None:
            return None
        return self.first_scheduled_time_s - self.arrival_time_s

    @property
    def ttft_s(self) -> float | None:
        if self.first_token_time_s is None:
            return None
        return self.first_token_time_s - self.arrival_time_s

    @property
    def latency_s(self) -> float | None:
        if self.finish_time_s is None:
            return None
        return self.finish_time_s - self.arrival_time_s

    @property
    def tpot_s(self) -> float | None:
        """Mean time per output token after the first; None for one-token outputs."""
        if self.finish_time_s is None or self.first_token_time_s is None:
            return None
        if self.num_output_tokens < 2:
            return None
        return (self.finish_time_s - self.first_token_time_s) / (self.num_output_tokens - 1)
