"""Services for calls: create and override; each hands the call to the generation backend after commit."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inference.levels import level
from inference.triage.base import InvalidCallText, validate_call_text
from triage_site import live
from triage_site.generation import get_generation_backend
from triage_site.models import Call, CallSource

logger = logging.getLogger(__name__)


@transaction.atomic
def call_create(*, text: object, caller_name: str = "", caller_phone: str = "", location: str = "",
                source: str = CallSource.DISPATCH, priority: int | None = None, user=None,
                chat_messages: list[dict[str, str]] | None = None,
                max_new_tokens: int | None = None, owner=None) -> Call:
    """Store a call, then classify and dispatch it after commit (so the task always finds it).

    ``priority`` is a caller-given urgency (an API client's): kept as an override, so the
    classifier's rating is still recorded beside it. ``chat_messages`` replace the dispatcher's
    prompt for generation (the OpenAI-compatible API).
    """
    try:
        clean_text = validate_call_text(text)
    except InvalidCallText as exc:
        raise ValidationError({"text": str(exc)}) from None
    if priority is not None:
        try:
            level(priority)
        except ValueError as exc:
            raise ValidationError({"priority": str(exc)}) from None
    call = Call(text=clean_text, caller_name=caller_name, caller_phone=caller_phone,
                location=location, source=source, chat_messages=chat_messages, created_by=owner,
                max_new_tokens=max_new_tokens, override_priority=priority,
                overridden_by=user if priority is not None else None,
                overridden_at=timezone.now() if priority is not None else None)
    call.full_clean()
    call.save()
    logger.info("call %s received", call.pk)
    transaction.on_commit(lambda: (live.publish_call(call), get_generation_backend().dispatch(call_id=call.pk)))
    return call


@transaction.atomic
def call_override_priority(*, call_id: int, priority: int | None, user) -> Call:
    """A dispatcher's urgency, kept beside the model's (None clears it)."""
    if priority is not None:
        try:
            level(priority)
        except ValueError as exc:
            raise ValidationError({"priority": str(exc)}) from None
    call = Call.objects.select_for_update().get(pk=call_id)
    call.override_priority = priority
    call.overridden_by = user if priority is not None else None
    call.overridden_at = timezone.now() if priority is not None else None
    call.save(update_fields=["override_priority", "overridden_by", "overridden_at"])
    logger.info("call %s urgency overridden to %s by user %s", call.pk, priority, getattr(user, "pk", None))
    if call.priority is not None:
        transaction.on_commit(lambda: (live.publish_call(call), get_generation_backend().reprioritise(
            call_id=call.pk, priority=call.priority)))
    return call
