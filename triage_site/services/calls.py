"""Services for calls: create, classify, override, fail. Keyword-only, safe to run twice."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inference.levels import level
from inference.triage.base import InvalidCallText, validate_call_text
from triage_site import live
from triage_site.models import Call, CallSource, CallStatus

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 500


@transaction.atomic
def call_create(*, text: object, caller_name: str = "", caller_phone: str = "", location: str = "",
                source: str = CallSource.DISPATCH, priority: int | None = None, user=None,
                chat_messages: list[dict[str, str]] | None = None,
                max_new_tokens: int | None = None) -> Call:
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
                location=location, source=source, chat_messages=chat_messages,
                max_new_tokens=max_new_tokens, override_priority=priority,
                overridden_by=user if priority is not None else None,
                overridden_at=timezone.now() if priority is not None else None)
    call.full_clean()
    call.save()
    logger.info("call %s received", call.pk)
    from triage_site.services.dispatch import call_dispatch  # it imports this module

    transaction.on_commit(lambda: (live.publish_call(call), call_dispatch(call_id=call.pk)))
    return call


def call_classify(*, call_id: int) -> Call:
    """Rate a received call; on any failure leave it FAILED with the reason, never lost."""
    call = Call.objects.get(pk=call_id)
    if call.status != CallStatus.RECEIVED:
        return call  # already done (a task retried or delivered twice)
    from triage_site.triage import get_classifier, get_length_predictor
    try:
        triage = get_classifier().classify([call.text])[0]
        predicted_tokens = get_length_predictor().predict([call.text], [triage.priority])[0]
    except Exception as exc:  # noqa: BLE001 - any failure must end in a visible FAILED state
        logger.exception("call %s: classification failed", call.pk)
        return call_fail(call_id=call.pk, reason=f"classification failed: {type(exc).__name__}: {exc}")
    updated = Call.objects.filter(pk=call.pk, status=CallStatus.RECEIVED).update(
        status=CallStatus.CLASSIFIED, predicted_priority=triage.priority,
        priority_probabilities=list(triage.probabilities), priority_confidence=triage.confidence,
        classifier=triage.classifier, classified_at=timezone.now(),
        predicted_output_tokens=predicted_tokens)
    call.refresh_from_db()
    if updated:
        logger.info("call %s classified as level %s by %s", call.pk, triage.priority, triage.classifier)
        live.publish_call(call)
    return call


def call_fail(*, call_id: int, reason: str) -> Call:
    Call.objects.filter(pk=call_id).exclude(status=CallStatus.DONE).update(
        status=CallStatus.FAILED, failure_reason=reason[:MAX_REASON_CHARS])
    call = Call.objects.get(pk=call_id)
    live.publish_call(call)
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
        from triage_site.services.dispatch import call_reprioritise_in_engine

        transaction.on_commit(lambda: (live.publish_call(call),
                                       call_reprioritise_in_engine(call_id=call.pk, priority=call.priority)))
    return call
