"""``v1/``: OpenAI-compatible chat completions and model list, served by the triage engine.

A completion is a call like any other (source ``api``, on the dashboard): its text is the last
user message, which the classifier rates unless the client gives ``priority``, and the engine
answers the client's own messages. The view follows the call through its live events
(``CallWatch``): streamed as Server-Sent Events, or answered whole once it is done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

from inference.triage.base import InvalidCallText, validate_call_text
from triage_site.api.call_watch import CallTimeout, CallWatch
from triage_site.api.calls import SERVER_ERROR, UNAUTHORIZED, body_too_big_message, log_server_error
from triage_site.api.openai_schemas import (
    MAX_MESSAGES_CHARS, ChatCompletionRequest, OpenAIError, chunk, completion, pydantic_error_to_openai)
from triage_site.api.throttle import TooManyFailures
from triage_site.generation import get_generation_backend
from triage_site.models import Call, CallSource, CallStatus
from triage_site.services.calls import call_create

router = Router(tags=["openai"])


@dataclass(frozen=True)
class ChatCall:
    """What a chat request becomes: the call's text and the messages the engine answers."""

    text: str
    text_param: str
    messages: list[dict[str, str]]
    max_new_tokens: int | None


@router.get("/models", summary="The model this server generates with")
def list_models(request: HttpRequest) -> dict[str, Any]:
    lm_dir = Path(settings.TRIAGE_LM_DIR)
    config = lm_dir / "config.json"
    created = int(config.stat().st_mtime) if config.is_file() else 0
    return {"object": "list",
            "data": [{"id": served_model(), "object": "model", "created": created, "owned_by": "triage"}]}


@router.post("/chat/completions", summary="Create a chat completion (OpenAI-compatible)")
async def chat_completions(request: HttpRequest, body: ChatCompletionRequest) -> HttpResponse:
    chat = chat_call(body)
    if body.model != served_model():
        raise OpenAIError(404, f"model: the model {body.model!r} does not exist; this server serves "
                               f"{served_model()!r}", param="model", code="model_not_found")
    if not get_generation_backend().generates:
        raise OpenAIError(503, "generation is disabled on this server (TRIAGE_GENERATION is off): "
                               "calls are classified but not answered", type="server_error",
                          code="generation_disabled")
    user = request.auth.user

    def create() -> Call:
        return call_create(text=chat.text, source=CallSource.API, priority=body.priority, user=user, owner=user,
                           chat_messages=chat.messages, max_new_tokens=chat.max_new_tokens)

    try:
        watch = await CallWatch.create(create)
    except DjangoValidationError as exc:
        raise _refused(exc, chat) from None
    if body.stream:
        if await watch.refresh() and watch.call.status == CallStatus.FAILED:
            async with watch:  # failed before a token (e.g. no classifier): a plain error
                raise _failed(watch.call)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingHttpResponse(_events(watch, include_usage), content_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    async with watch:
        try:
            call = await watch.finished(settings.TRIAGE_API_TIMEOUT_S)
        except CallTimeout as exc:
            raise _timed_out(exc) from None
    if call.status == CallStatus.FAILED:
        raise _failed(call)
    usage = await sync_to_async(usage_of)(call)
    return JsonResponse(completion(completion_id=completion_id(call), created=_created(call),
                                   model=served_model(), content=call.response,
                                   finish_reason=finish_reason(call), usage=usage))


def chat_call(body: ChatCompletionRequest) -> ChatCall:
    """Check what pydantic cannot (a user message, the total size) and build the call's input."""
    user_indexes = [i for i, message in enumerate(body.messages) if message.role == "user"]
    if not user_indexes:
        raise OpenAIError(400, "messages: must contain at least one user message", param="messages")
    total_chars = sum(len(message.content) for message in body.messages)
    if total_chars > MAX_MESSAGES_CHARS:
        raise OpenAIError(400, f"messages: {total_chars} characters in all, more than the "
                               f"{MAX_MESSAGES_CHARS} allowed", param="messages")
    last_user = user_indexes[-1]
    text_param = f"messages[{last_user}].content"
    try:  # call_create checks it too; checked here so it is refused even with generation off
        validate_call_text(body.messages[last_user].content)
    except InvalidCallText as exc:
        raise OpenAIError(400, f"{text_param}: {exc}", param=text_param) from None
    requested = body.requested_max_tokens
    return ChatCall(
        text=body.messages[last_user].content,
        text_param=text_param,
        # The engine's chat template knows system, user and assistant.
        messages=[{"role": "system" if m.role == "developer" else m.role, "content": m.content}
                  for m in body.messages],
        max_new_tokens=min(requested, settings.TRIAGE_API_MAX_TOKENS) if requested is not None else None)


async def _events(watch: CallWatch, include_usage: bool):
    """The SSE stream: a role chunk, a chunk per text delta, the finish chunk, usage, ``[DONE]``.
    A failure after the stream began is an ``error`` event (the openai client raises it)."""
    async with watch:
        ids = {"completion_id": completion_id(watch.call), "created": _created(watch.call),
               "model": served_model()}
        yield _sse(chunk(**ids, delta={"role": "assistant", "content": ""}))
        try:
            async for text in watch.text(settings.TRIAGE_API_TIMEOUT_S):
                yield _sse(chunk(**ids, delta={"content": text}))
        except CallTimeout as exc:
            yield _sse(_timed_out(exc).body())
            return
        call = watch.call
        if call.status == CallStatus.FAILED:
            yield _sse(_failed(call).body())
            return
        yield _sse(chunk(**ids, finish_reason=finish_reason(call)))
        if include_usage:
            usage = await sync_to_async(usage_of)(call)
            if usage is not None:
                yield _sse(chunk(**ids, usage=usage))
        yield "data: [DONE]\n\n"


def _sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data)}\n\n"


def served_model() -> str:
    """The engine's model, named by its directory (what GET /v1/models lists)."""
    return Path(settings.TRIAGE_LM_DIR).name


def completion_id(call: Call) -> str:
    """``chatcmpl-`` and the call's public id in hex: ``UUID(hex)`` finds it in ``api/calls``."""
    return f"chatcmpl-{call.public_id.hex}"


def _created(call: Call) -> int:
    return int(call.received_at.timestamp())


def finish_reason(call: Call) -> str:
    """OpenAI's names for the engine's: the model ended ("stop") or hit the cap ("length")."""
    return "length" if call.finish_reason == "length" else "stop"


def usage_of(call: Call) -> dict[str, int] | None:
    """Token counts as the engine recorded them (None before it has)."""
    if call.output_tokens is None or call.prompt_tokens is None:
        return None
    return {"prompt_tokens": call.prompt_tokens, "completion_tokens": call.output_tokens,
            "total_tokens": call.prompt_tokens + call.output_tokens}


def _refused(exc: DjangoValidationError, chat: ChatCall) -> OpenAIError:
    """The service's refusal, with the request field it is about."""
    params = {"text": chat.text_param, "priority": "priority", "max_new_tokens": "max_tokens"}
    field, messages = next(iter(exc.message_dict.items()))
    param = params.get(field)
    return OpenAIError(400, f"{param or 'request'}: {' '.join(messages)}", param=param)


def _timed_out(exc: CallTimeout) -> OpenAIError:
    return OpenAIError(504, f"{exc}; it goes on, and GET /api/calls/<public_id> will show its response "
                            "(TRIAGE_API_TIMEOUT_S sets how long this endpoint waits)",
                       type="server_error", code="timeout")


def _failed(call: Call) -> OpenAIError:
    return OpenAIError(503, f"the call could not be answered: {call.failure_reason}",
                       type="server_error", code="call_failed")


def use_openai_errors(api: NinjaAPI) -> None:
    """Every error of ``api`` in OpenAI's shape, so OpenAI clients raise the right exception."""

    def openai_error(request, exc: OpenAIError) -> JsonResponse:
        return exc.response()

    def validation_error(request, exc: ValidationError) -> JsonResponse:
        return pydantic_error_to_openai(exc.errors).response()

    def authentication_error(request, exc: AuthenticationError) -> JsonResponse:
        return OpenAIError(401, UNAUTHORIZED, code="invalid_api_key").response()

    def http_error(request, exc: HttpError) -> JsonResponse:
        return OpenAIError(exc.status_code, str(exc)).response()

    def too_many_failures(request, exc: TooManyFailures) -> JsonResponse:
        response = OpenAIError(429, str(exc), type="requests", code="rate_limit_exceeded").response()
        response["Retry-After"] = str(exc.retry_after_s)
        return response

    def too_big(request, exc: RequestDataTooBig) -> JsonResponse:
        return OpenAIError(413, body_too_big_message(), code="request_too_large").response()

    def server_error(request, exc: Exception) -> JsonResponse:
        log_server_error(request, exc)
        return OpenAIError(500, SERVER_ERROR, type="server_error").response()

    api.add_exception_handler(OpenAIError, openai_error)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, authentication_error)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(TooManyFailures, too_many_failures)
    api.add_exception_handler(RequestDataTooBig, too_big)
    api.add_exception_handler(Exception, server_error)
