"""Celery tasks: thin, load by id, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from triage_site.services.calls import call_classify


@shared_task(acks_late=True, reject_on_worker_lost=True)
def classify_call(call_id: int) -> str:
    """Acknowledged only after the service stored its outcome, so a worker that dies
    mid-task leaves the message for another one (the service ignores a repeat)."""
    return call_classify(call_id=call_id).status
