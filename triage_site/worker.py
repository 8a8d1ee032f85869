"""What a GPU worker adds to Celery: the engine loaded at start, and the override command.

Imported by the Celery app; the handlers import Django and torch only when they run.
"""

from __future__ import annotations

from celery.signals import worker_ready
from celery.worker.control import control_command


@worker_ready.connect
def load_engine_at_start(sender=None, **kwargs) -> None:
    """Load the model before the first call arrives, not inside its latency."""
    from triage_site.engine_host import get_engine_loop

    get_engine_loop()


@control_command(args=[("call_id", int), ("priority", int)], signature="<call_id> <priority>")
def reprioritise_call(state, call_id: int, priority: int) -> dict:
    """Broadcast to every worker by a dispatcher's override; the one holding the call re-ranks it."""
    from triage_site.engine_host import reprioritise_in_engine

    return {"ok": reprioritise_in_engine(call_id, priority)}
