"""Reads for the API: one call by its public id, and calls filtered for a list, each limited to
the calls the token's user may see."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet

from triage_site.models import Call
from triage_site.permissions import is_dispatcher


def calls_visible_to(user) -> QuerySet[Call]:
    """A dispatcher (active staff) sees every call; any other user only the calls created as them."""
    if is_dispatcher(user):
        return Call.objects.all()
    if user is None or user.pk is None:
        return Call.objects.none()
    return Call.objects.filter(created_by=user)


def call_get_public(*, public_id: UUID, user) -> Call | None:
    return calls_visible_to(user).filter(public_id=public_id).first()


def call_get_by_id(*, call_id: int) -> Call:
    return Call.objects.get(pk=call_id)


def call_list(*, user, status: str | None = None, priority: int | None = None, source: str | None = None,
              received_since: datetime | None = None,
              received_until: datetime | None = None) -> QuerySet[Call]:
    """Matching calls ``user`` may see, newest first. ``priority`` is the urgency acted on: a
    dispatcher's or client's override where there is one, else the classifier's."""
    calls = calls_visible_to(user).order_by("-received_at", "-id")
    if status is not None:
        calls = calls.filter(status=status)
    if priority is not None:
        calls = calls.filter(Q(override_priority=priority)
                             | Q(override_priority__isnull=True, predicted_priority=priority))
    if source is not None:
        calls = calls.filter(source=source)
    if received_since is not None:
        calls = calls.filter(received_at__gte=received_since)
    if received_until is not None:
        calls = calls.filter(received_at__lt=received_until)
    return calls
