"""``api/calls``: create a call, read one by its public id, list them with filters.

Calls are addressed by ``public_id`` (a UUID): it cannot be guessed or counted through, and it
is the same in every copy of the database. The dashboard's number is in the response as ``id``.
A token sees the calls its user may see: a dispatcher's (active staff) every call, anyone
else's only the calls created with their own tokens (a call they may not see is a 404).
"""

from __future__ import annotations

import logging
from uuid import UUID

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from ninja import NinjaAPI, Query, Router, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError

from triage_site.api.schemas import CallFilters, CallIn, CallOut, CallPage
from triage_site.api.selectors import call_get_public, call_list
from triage_site.api.throttle import TooManyFailures
from triage_site.log_redaction import redacted_traceback
from triage_site.models import Call, CallSource
from triage_site.services.calls import call_create

logger = logging.getLogger(__name__)

router = Router(tags=["calls"])

UNAUTHORIZED = "missing or invalid API key: send 'Authorization: Bearer <token>' (manage.py create_api_token)"


@router.post("/calls", response={201: CallOut}, summary="Create a call",
             description="Stores the call and rates its urgency (the classifier runs now, or on a "
                         "worker when generation runs on Celery); the response is generated after.")
def create_call(request: HttpRequest, payload: CallIn) -> Status[Call]:
    try:
        call = call_create(**payload.model_dump(), source=CallSource.API, user=request.auth.user,
                           owner=request.auth.user)
    except DjangoValidationError as exc:
        raise ValidationError(field_errors(exc, loc=("body", "payload"))) from None
    call.refresh_from_db()  # classified after commit, in the embedded set-up
    return Status(201, call)


@router.get("/calls/{public_id}", response=CallOut, summary="Read a call and its status")
def read_call(request: HttpRequest, public_id: UUID) -> Call:
    call = call_get_public(public_id=public_id, user=request.auth.user)
    if call is None:
        raise HttpError(404, f"public_id: no call {public_id}")
    return call


@router.get("/calls", response=CallPage, summary="List calls, newest first")
def list_calls(request: HttpRequest, filters: Query[CallFilters]) -> dict:
    calls = call_list(user=request.auth.user, status=filters.status, priority=filters.priority,
                      source=filters.source, received_since=filters.received_since,
                      received_until=filters.received_until)
    page = calls[filters.offset:filters.offset + filters.limit]
    return {"count": calls.count(), "limit": filters.limit, "offset": filters.offset, "items": list(page)}


def field_errors(exc: DjangoValidationError, loc: tuple[str, ...]) -> list[dict]:
    """A service's per-field errors in ninja's shape (a location and a message naming the field)."""
    errors = []
    for field, messages in exc.message_dict.items():
        where = loc if field == "__all__" else (*loc, field)
        errors += [{"type": "value_error", "loc": list(where), "msg": message} for message in messages]
    return errors


def use_api_errors(api: NinjaAPI) -> None:
    """A 401 says what to send. A 422 keeps ninja's ``detail`` list, and each message also starts
    with the field it is about (``text: Field required``), so it reads on its own."""

    def validation_error(request: HttpRequest, exc: ValidationError):
        detail = []
        for error in exc.errors:
            loc = error.get("loc", ())
            field = ".".join(str(part) for part in loc[_skip(error):]) or (str(loc[0]) if loc else "")
            message = error.get("msg", "invalid")
            named = f"{field}: {message}" if field and not message.startswith(f"{field}:") else message
            detail.append({**_json_safe(error), "msg": named})
        return api.create_response(request, {"detail": detail}, status=422)

    def unauthorized(request: HttpRequest, exc: AuthenticationError):
        return api.create_response(request, {"detail": UNAUTHORIZED}, status=401)

    def too_many_failures(request: HttpRequest, exc: TooManyFailures):
        response = api.create_response(request, {"detail": str(exc)}, status=429)
        response["Retry-After"] = str(exc.retry_after_s)
        return response

    def too_big(request: HttpRequest, exc: RequestDataTooBig):
        return api.create_response(request, {"detail": body_too_big_message()}, status=413)

    def server_error(request: HttpRequest, exc: Exception):
        log_server_error(request, exc)
        return api.create_response(request, {"detail": SERVER_ERROR}, status=500)

    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, unauthorized)
    api.add_exception_handler(TooManyFailures, too_many_failures)
    api.add_exception_handler(RequestDataTooBig, too_big)
    api.add_exception_handler(Exception, server_error)


SERVER_ERROR = "internal server error; it is logged (with the request's path, never its body)"


def body_too_big_message() -> str:
    return (f"body: the request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes "
            "this server accepts")


def log_server_error(request: HttpRequest, exc: Exception) -> None:
    """An unexpected error: logged with its traceback, messages that can quote the input withheld
    (``log_redaction``), and answered without one, DEBUG or not: no response carries call text."""
    logger.error("unhandled %s in %s %s\n%s", type(exc).__name__, request.method, request.path,
                 redacted_traceback(exc))


def _skip(error: dict) -> int:
    """Location parts that name no field: where it came from, and a body's parameter name."""
    loc = error.get("loc", ())
    return 2 if loc and loc[0] == "body" else 1


def _json_safe(error: dict) -> dict:
    """Pydantic's ``ctx`` can hold the exception itself; keep what serialises."""
    return {key: value for key, value in error.items() if key in ("type", "loc", "msg")}
