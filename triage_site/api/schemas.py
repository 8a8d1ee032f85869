"""The JSON API's request and response shapes (they are also its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from inference.levels import NUM_LEVELS, level
from inference.triage.base import MAX_CALL_TEXT_CHARS, unstorable_character
from triage_site.models import Call, CallSource, CallStatus

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_OFFSET = 1_000_000_000
"""Far beyond any real list, and far inside the databases' 64-bit OFFSET (2**63 was a 500)."""

_PRIORITY_HELP = "Urgency 0 (P0 immediate, most urgent) .. 4 (P4 non-urgent)."
Priority = Annotated[int, Field(ge=0, le=NUM_LEVELS - 1, strict=True, description=_PRIORITY_HELP)]
"""In a JSON body: a JSON integer (strict: "2" and true are refused, not converted)."""
PriorityQuery = Annotated[int, Field(ge=0, le=NUM_LEVELS - 1, description=_PRIORITY_HELP)]
"""In a query string, where every value is text."""


def _max_length(field: str) -> int:
    return Call._meta.get_field(field).max_length


class CallIn(Schema):
    """A new call. Unknown fields are refused, so a misspelt field is not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description=f"Transcript of the call, at most {MAX_CALL_TEXT_CHARS} characters "
                                  "(outer whitespace is stripped).", strict=True)
    caller_name: str = Field("", max_length=_max_length("caller_name"), strict=True)
    caller_phone: str = Field("", max_length=_max_length("caller_phone"), strict=True)
    location: str = Field("", max_length=_max_length("location"), strict=True)
    priority: Priority | None = Field(
        None, description="The client's own urgency, kept as an override beside the classifier's "
                          "rating. Leave it out to let the classifier decide.")

    @field_validator("caller_name", "caller_phone", "location")
    @classmethod
    def _storable(cls, value: str) -> str:
        """NUL and unpaired surrogates are refused here (``text`` by the service's own check)."""
        problem = unstorable_character(value)
        if problem is not None:
            raise PydanticCustomError("unstorable_text", "{problem}", {"problem": problem})
        return value


class CallOut(Schema):
    """A call as stored: transcript, urgency (the model's and any override), response, timings."""

    public_id: UUID = Field(description="The call's identifier in this API.")
    id: int = Field(description="The number the dashboard and the admin show.")
    status: CallStatus
    source: CallSource
    text: str
    caller_name: str
    caller_phone: str
    location: str
    received_at: datetime
    priority: int | None = Field(description="The urgency acted on: the override if any, else the model's.")
    priority_label: str | None
    predicted_priority: int | None
    priority_probabilities: list[float] | None = Field(description="Model probability of levels 0..4.")
    priority_confidence: float | None
    classifier: str
    override_priority: int | None
    predicted_output_tokens: int | None
    response: str
    output_tokens: int | None
    num_preemptions: int
    failure_reason: str
    queued_at: datetime | None
    started_at: datetime | None
    first_token_at: datetime | None
    finished_at: datetime | None
    queueing_delay_s: float | None
    ttft_s: float | None
    latency_s: float | None

    @staticmethod
    def resolve_priority_label(call: Call) -> str | None:
        return level(call.priority).label if call.priority is not None else None


class CallPage(Schema):
    count: int = Field(description="Calls matching the filters, on all pages.")
    limit: int
    offset: int
    items: list[CallOut]


class CallFilters(Schema):
    """Query parameters of the list. Times without a zone are taken as UTC."""

    status: CallStatus | None = None
    priority: PriorityQuery | None = Field(None, description="The urgency acted on (override, else model).")
    source: CallSource | None = None
    received_since: datetime | None = Field(None, description="Received at or after this time.")
    received_until: datetime | None = Field(None, description="Received before this time.")
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    @field_validator("received_since", "received_until")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """UTC when no zone is given; any other zone converted to UTC here, as PostgreSQL refuses
        offsets past 15:59 that ISO 8601 allows (a 500 before)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before the year 1 in UTC
            raise PydanticCustomError("datetime_range", "out of range once converted to UTC") from None
