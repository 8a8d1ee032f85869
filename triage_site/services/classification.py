"""Services for a call's rating and failure: classify it at intake, or leave it FAILED with the reason."""

from __future__ import annotations

import logging

from django.utils import timezone

from triage_site import live
from triage_site.models import Call, CallStatus

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 500


def call_classify(*, call_id: int) -> Call:
    """Rate a received call; on any failure leave it FAILED with the reason, never lost."""
    call = Call.objects.get(pk=call_id)
    if call.status != CallStatus.RECEIVED:
        return call  # already done (a task retried or delivered twice)
    from triage_site.triage import get_classifier, get_length_predictor
    try:
        triage = get_classifier().classify([call.text])[0]
        predicted_tokens = get_length_predictor().predict([length_input(call)], [triage.priority])[0]
    except Exception as exc:  # noqa: BLE001 - any failure must end in a visible FAILED state
        logger.exception("call %s: classification failed", call.pk)
        return call_fail(call_id=call.pk, reason=f"classification failed: {type(exc).__name__}: {exc}")
    cards = _choose_cards(call)
    updated = Call.objects.filter(pk=call.pk, status=CallStatus.RECEIVED).update(
        status=CallStatus.CLASSIFIED, predicted_priority=triage.priority, cards=cards,
        priority_probabilities=list(triage.probabilities), priority_confidence=triage.confidence,
        classifier=triage.classifier, classified_at=timezone.now(),
        predicted_output_tokens=predicted_tokens)
    call.refresh_from_db()
    if updated:
        logger.info("call %s classified as level %s by %s", call.pk, triage.priority, triage.classifier)
        live.publish_call(call)
    return call


def length_input(call: Call) -> str:
    """What the length predictor reads: a chat's messages (what the engine answers), else the call."""
    from inference.learned_length import messages_text
    return messages_text(call.chat_messages) if call.chat_messages else call.text


def _choose_cards(call: Call) -> list[dict]:
    """The call's instruction cards, chosen with its rating (no LM: the dispatcher sees them at
    once). A failure here falls back to the general card rather than failing the call."""
    from inference.cards.library import GENERAL_CARD_ID, default_cards
    from triage_site.cards import choose_call_cards
    from triage_site.services.cards import call_cards_refs
    try:
        return call_cards_refs(choose_call_cards(call.text))
    except Exception:  # noqa: BLE001 - the card is a help; the call must go on
        logger.exception("call %s: choosing its card failed; the general card is used", call.pk)
        return call_cards_refs([default_cards()[GENERAL_CARD_ID]])


def call_fail(*, call_id: int, reason: str) -> Call:
    Call.objects.filter(pk=call_id).exclude(status=CallStatus.DONE).update(
        status=CallStatus.FAILED, failure_reason=reason[:MAX_REASON_CHARS])
    call = Call.objects.get(pk=call_id)
    live.publish_call(call)
    return call
