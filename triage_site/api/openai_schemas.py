"""OpenAI's chat-completions request as this server takes it; its responses, chunks and errors.

Only what the engine can honour is accepted: one choice (``n`` = 1), text messages, no tools,
no stop sequences, no log-probabilities. ``temperature`` and ``top_p`` are accepted and ignored
(decoding is greedy). Other fields clients commonly send (``user``, ``seed``, ...) are ignored.
``priority`` follows vLLM: an integer, lower is served earlier (0..4 here).
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from inference.levels import NUM_LEVELS
from inference.triage.base import MAX_CALL_TEXT_CHARS, unstorable_character

SUPPORTED_ROLES = ("system", "developer", "user", "assistant")
MAX_MESSAGES_CHARS = 4 * MAX_CALL_TEXT_CHARS
"""All messages together: a system prompt and some history around a call's transcript."""


class OpenAIError(Exception):
    """An error answered in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}

    def response(self) -> JsonResponse:
        return JsonResponse(self.body(), status=self.status)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # e.g. "name": accepted, not used

    role: str = Field(strict=True, description=f"One of {', '.join(SUPPORTED_ROLES)} "
                                               "(developer is taken as system).")
    content: str = Field(description='Text, or a list of text parts ({"type": "text", "text": ...}).')

    @field_validator("role")
    @classmethod
    def _supported_role(cls, role: str) -> str:
        if role not in SUPPORTED_ROLES:
            raise ValueError(f"unsupported role {role!r}; this server takes {', '.join(SUPPORTED_ROLES)}")
        return role

    @field_validator("content", mode="before")
    @classmethod
    def _text_only(cls, content: Any) -> str:
        if isinstance(content, list) and all(
                isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
                for part in content):
            content = "".join(part["text"] for part in content)
        if not isinstance(content, str):
            raise ValueError('must be a string or a list of text parts ({"type": "text", "text": "..."})')
        problem = unstorable_character(content)  # every message is stored with the call
        if problem is not None:
            raise ValueError(problem)
        return content


class StreamOptions(BaseModel):
    include_usage: bool = Field(False, strict=True)


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(strict=True, description="The served model (see GET /v1/models).")
    messages: list[ChatMessage] = Field(description="At least one user message; the last one is the "
                                                    "call's transcript.")
    max_tokens: int | None = Field(None, ge=1, strict=True)
    max_completion_tokens: int | None = Field(None, ge=1, strict=True,
                                              description="Preferred over max_tokens; both are capped "
                                                          "by the server (TRIAGE_API_MAX_TOKENS).")
    stream: bool = Field(False, strict=True)
    stream_options: StreamOptions | None = None
    n: int = Field(1, strict=True, description="Must be 1.")
    priority: int | None = Field(None, ge=0, le=NUM_LEVELS - 1, strict=True,
                                 description="vLLM's convention: lower is served earlier. 0 (P0 "
                                             "immediate) .. 4 (P4 non-urgent); leave it out to let "
                                             "the urgency classifier decide.")
    temperature: float | None = Field(None, ge=0, le=2, description="Accepted; decoding is greedy.")
    top_p: float | None = Field(None, ge=0, le=1, description="Accepted; decoding is greedy.")
    stop: str | list[str] | None = Field(None, description="Not supported: leave it out.")
    tools: list[Any] | None = Field(None, description="Not supported: leave it out.")
    logprobs: bool | None = Field(None, description="Not supported: leave it out or false.")
    response_format: dict[str, Any] | None = Field(None, description='Only {"type": "text"}.')

    @field_validator("n")
    @classmethod
    def _one_choice(cls, n: int) -> int:
        if n != 1:
            raise ValueError(f"only n=1 is supported (the engine generates one choice), got {n}")
        return n

    @field_validator("stop", "tools")
    @classmethod
    def _none_or_empty(cls, value: Any) -> Any:
        if value:
            raise ValueError("not supported by this server; leave it out")
        return value

    @field_validator("logprobs")
    @classmethod
    def _no_logprobs(cls, value: bool | None) -> bool | None:
        if value:
            raise ValueError("log-probabilities are not supported by this server")
        return value

    @field_validator("response_format")
    @classmethod
    def _text_format(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and value.get("type") != "text":
            raise ValueError('only {"type": "text"} is supported')
        return value

    @property
    def requested_max_tokens(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


def pydantic_error_to_openai(errors: list[dict[str, Any]]) -> OpenAIError:
    """The first validation error, its location written as OpenAI does (``messages[0].role``)."""
    if not errors:
        return OpenAIError(400, "the request body is invalid")
    error = errors[0]
    loc = list(error.get("loc", ()))
    if loc and loc[0] == "body":
        loc = loc[2:]  # "body" and the view's parameter name
    param = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if not param:
        return OpenAIError(400, f"the request body must be a JSON object with model and messages: {message}")
    return OpenAIError(400, f"{param}: {message}", param=param)


def completion(*, completion_id: str, created: int, model: str, content: str, finish_reason: str,
               usage: dict[str, int] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": completion_id, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "logprobs": None, "finish_reason": finish_reason}],
    }
    if usage is not None:
        body["usage"] = usage
    return body


def chunk(*, completion_id: str, created: int, model: str, delta: dict[str, str] | None = None,
          finish_reason: str | None = None, usage: dict[str, int] | None = None) -> dict[str, Any]:
    """One ``chat.completion.chunk``; with ``usage`` it is the final usage chunk (no choices)."""
    body: dict[str, Any] = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                            "model": model}
    if usage is not None:
        body["choices"] = []
        body["usage"] = usage
    else:
        body["choices"] = [{"index": 0, "delta": delta or {}, "logprobs": None,
                            "finish_reason": finish_reason}]
    return body
