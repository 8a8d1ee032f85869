"""Celery tasks: thin, load by id, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

RETRY_BACKOFF_MAX_S = 60


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(Exception,), max_retries=None,
             retry_backoff=True, retry_backoff_max=RETRY_BACKOFF_MAX_S, retry_jitter=False)
def process_call(call_id: int, dispatch_number: int | None = None) -> str:
    """Generate a rated call on this worker's engine (queues ``gpu.urgent`` and ``gpu``).

    Returns (so the message is acknowledged) only after the response is stored. A worker that
    dies before that leaves the message unacknowledged and RabbitMQ hands it to another worker.
    A message superseded by a re-rank, or for a finished call, does nothing. Generation errors
    are stored on the call (FAILED, with the reason); anything else (the database unreachable,
    say) sends the task again with a growing delay, up to a minute apart, so the call is never
    dropped with an acknowledged message.
    """
    from triage_site.engine_host import serve_call  # loads torch: only in a worker

    return serve_call(call_id, dispatch_number)
