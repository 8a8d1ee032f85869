"""Services for calls served by the fleet: send a rated call to the broker, re-rank it there,
and re-send calls a broker outage left behind.

The broker orders each queue by message priority (``scheduling.broker_key``: urgency first,
then predicted length), and keeps arrival order within one priority. A message carries the
call's ``dispatch_number``; re-ranking sends a new message under a new number, and the worker
that receives the old one finds it superseded and does nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from scheduling.broker_key import broker_priority
from triage_site.models import Call, CallStatus
from triage_site.services.classification import call_classify
from triage_site.tasks import process_call

logger = logging.getLogger(__name__)


def fleet_queue_for(priority: int) -> str:
    """Urgent levels have a queue of their own, which every worker keeps room for."""
    if priority <= settings.TRIAGE_FLEET_URGENT_MAX_LEVEL and settings.TRIAGE_FLEET_ORDER == "semantic":
        return settings.TRIAGE_FLEET_URGENT_QUEUE
    return settings.TRIAGE_FLEET_QUEUE


def call_send_to_broker(*, call: Call) -> bool:
    """Publish a rated call's generation message; False (and the call kept) if the broker is down."""
    priority = call.priority
    predicted = call.predicted_output_tokens or settings.TRIAGE_ENGINE_MAX_NEW_TOKENS
    try:
        semantic = settings.TRIAGE_FLEET_ORDER == "semantic"
        process_call.apply_async((call.pk, call.dispatch_number), queue=fleet_queue_for(priority),
                                 priority=broker_priority(priority, predicted) if semantic else 0)
    except OperationalError:
        logger.warning("call %s: broker unavailable; it stays classified and is sent again later", call.pk)
        return False
    Call.objects.filter(pk=call.pk, dispatch_number=call.dispatch_number).update(dispatched_at=timezone.now())
    logger.info("call %s sent to the fleet (level %s, message %s)", call.pk, priority, call.dispatch_number)
    return True


def call_rerank_in_broker(*, call_id: int) -> bool:
    """Send a still-waiting call again under its new urgency; False if an engine already holds it."""
    updated = Call.objects.filter(pk=call_id, status=CallStatus.CLASSIFIED).update(
        dispatch_number=F("dispatch_number") + 1, dispatched_at=None)
    if not updated:
        return False
    call_send_to_broker(call=Call.objects.get(pk=call_id))
    return True


def broker_reachable(timeout_s: float = 2.0) -> bool:
    """Does the broker accept a connection now? (For the dashboard's warning, not for sending.)"""
    from triage_site.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout_s)
    except (OperationalError, OSError):
        return False
    return True


def calls_send_stranded(*, older_than_s: float) -> int:
    """Send every call the broker never took: rated while it was down, or never rated at all
    (the web process stopped between storing and rating it)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    never_rated = list(Call.objects.filter(status=CallStatus.RECEIVED, received_at__lt=cutoff)
                       .values_list("pk", flat=True))
    for call_id in never_rated:
        call_classify(call_id=call_id)
    stranded = list(Call.objects.filter(Q(classified_at__lt=cutoff) | Q(pk__in=never_rated),
                                        status=CallStatus.CLASSIFIED, dispatched_at__isnull=True)
                    .order_by("received_at"))
    sent = sum(call_send_to_broker(call=call) for call in stranded)
    if stranded:
        logger.info("re-sent %s of %s stranded calls to the fleet", sent, len(stranded))
    return sent
