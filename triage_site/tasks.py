"""Celery tasks: thin, load by id, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from triage_site.models import CallStatus
from triage_site.services.calls import call_classify


@shared_task(acks_late=True, reject_on_worker_lost=True)
def process_call(call_id: int) -> str:
    """Classify a call and generate its response on this worker's engine (queue ``gpu``).

    The task waits while the engine's policy decides when the call runs, and returns (so the
    message is acknowledged) only after the response is stored. A worker that dies before that
    leaves the message unacknowledged: the broker hands it out again and the call is queued
    afresh. A repeat of a finished call does nothing.
    """
    from triage_site.engine_host import submit_call  # loads torch: only in the worker

    call = call_classify(call_id=call_id)
    if call.status in (CallStatus.DONE, CallStatus.FAILED):
        return call.status
    future = submit_call(call_id)
    if future is not None:
        try:
            future.result()
        except Exception:  # noqa: BLE001 - the listener stored the failure on the call
            pass
    call.refresh_from_db()
    return call.status
