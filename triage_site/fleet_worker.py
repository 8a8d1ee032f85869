"""What a GPU worker adds to Celery: the engine loaded at start, a routine-call reservation of
its seats plus a margin, and the override command.

Loaded by the worker only (``CELERY_IMPORTS``); the handlers import torch only when they run.
"""

from __future__ import annotations

import logging

from celery import bootsteps
from celery.signals import worker_ready
from celery.worker.control import control_command
from django.conf import settings

logger = logging.getLogger(__name__)


class RoutineReservation(bootsteps.StartStopStep):
    """Each queue's consumer may hold at most seats + margin unacknowledged calls.

    Celery sets a channel-wide prefetch (the pool's size: seats + margin + urgent reserve); this adds
    RabbitMQ's per-consumer prefetch (https://www.rabbitmq.com/docs/consumer-prefetch), applied
    before the consumers start. The routine queue's consumer therefore stops at seats + margin
    and the backlog waits in the broker in semantic order, while the channel keeps room for
    ``TRIAGE_FLEET_URGENT_RESERVE`` urgent calls that the engine's policy lets displace running
    routine ones.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, c) -> None:
        if settings.TRIAGE_FLEET_ORDER == "fifo":  # the baseline: hold as many calls as threads
            return
        per_consumer = settings.TRIAGE_ENGINE_MAX_NUM_SEQS + settings.TRIAGE_FLEET_MARGIN
        c.task_consumer.channel.basic_qos(0, per_consumer, False)
        logger.info("holding at most %s calls per queue (%s seats + margin %s), %s in all", per_consumer,
                    settings.TRIAGE_ENGINE_MAX_NUM_SEQS, settings.TRIAGE_FLEET_MARGIN,
                    c.initial_prefetch_count)


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
