"""The engine's view of one request: the scheduling ``Request`` plus its tokens and stream."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from inference.engine.records import RequestRecord
from inference.engine.streaming import IncrementalDetokenizer, TokenEvent
from scheduling.request import Request, RequestStatus


@dataclass(eq=False)
class EngineRequest:
    request: Request
    """Shared with the scheduler; its timing fields are the per-request record."""
    token_ids: list[int]
    """The prompt, then each token produced (appended by the engine after each step)."""
    detokenizer: IncrementalDetokenizer
    on_token: Callable[[TokenEvent], None] | None = None
    """Called with each new token as soon as its step ends (``queue.put`` works too)."""
    finish_reason: str | None = None
    """``"eos"`` or ``"length"`` once finished."""
    num_prompt_tokens: int = field(init=False)

    def __post_init__(self) -> None:
        self.token_ids = list(self.token_ids)
        self.num_prompt_tokens = len(self.token_ids)

    @property
    def request_id(self) -> int:
        return self.request.request_id

    @property
    def prompt_token_ids(self) -> list[int]:
        return self.token_ids[:self.num_prompt_tokens]

    @property
    def output_token_ids(self) -> list[int]:
        return self.token_ids[self.num_prompt_tokens:]

    @property
    def text(self) -> str:
        """Output text so far (empty without a tokenizer)."""
        tokenizer = self.detokenizer.tokenizer
        return tokenizer.decode(self.output_token_ids, skip_special_tokens=True) if tokenizer else ""

    @property
    def is_finished(self) -> bool:
        return self.request.status is RequestStatus.FINISHED

    @property
    def num_preemptions(self) -> int:
        return self.request.num_preemptions

    @property
    def queueing_delay_s(self) -> float | None:
        return self.request.queueing_delay_s

    @property
    def ttft_s(self) -> float | None:
        return self.request.ttft_s

    @property
    def tpot_s(self) -> float | None:
        return self.request.tpot_s

    @property
    def latency_s(self) -> float | None:
        return self.request.latency_s

    def record(self) -> RequestRecord:
        request = self.request
        return RequestRecord(self.request_id, request.predicted_priority, self.num_prompt_tokens,
                             request.num_output_tokens, request.num_preemptions,
                             self.queueing_delay_s, self.ttft_s, self.tpot_s, self.latency_s,
                             self.finish_reason)

    def emit(self, token_id: int) -> None:
        """Stream ``token_id`` (already appended) to the callback, with the text it adds."""
        if self.on_token is None:
            return  # nobody listens: skip the detokenizing
        is_last = self.is_finished
        text = self.detokenizer.delta(self.output_token_ids, is_last)
        self.on_token(TokenEvent(self.request_id, token_id, text, is_last))
