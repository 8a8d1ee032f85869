"""Live events: what the engine and the services publish, to whom, and how it crosses threads.

Every event goes to the ``dashboard`` group (the dispatcher page) and events about one call also
to that call's group (a streaming API response). A channel-layer message is
``{"type": "live.event", "event": {...}}``; consumers forward ``event`` to the browser as JSON.

Events (``kind``):
- ``call``: a call's summary after any change (status, urgency, timings), see ``call_summary``;
- ``tokens``: ``{"deltas": [{"call_id", "text"}]}``, the text each call gained in one step;
- ``engine``: a worker's engine status and queue, at most ``ENGINE_EVENT_INTERVAL_S`` apart.

Publishing is fire-and-forget: a dashboard that misses an event catches up from the database on
reload. The in-memory channel layer (the embedded default) is not thread-safe, so from a worker
thread its sends are handed to the event loop that serves the consumers (remembered by the ASGI
application); the Redis layer is safe from any thread.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from inference.levels import level

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"
MESSAGE_TYPE = "live.event"
ENGINE_EVENT_INTERVAL_S = 0.5
PREVIEW_CHARS = 280
SHOWN_CHARS = 1500
"""What the caller hears is listed whole (a card is 400-900 characters): a cut card could stop
before its key action."""

_consumer_loop: asyncio.AbstractEventLoop | None = None


def call_group(call_id: int) -> str:
    return f"call.{call_id}"


def remember_consumer_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the ASGI application: in-memory sends from other threads go to this loop."""
    global _consumer_loop
    _consumer_loop = loop


def publish(event: dict[str, Any], *, call_id: int | None = None, dashboard: bool = True) -> None:
    """Send ``event`` to the dashboard and/or to the group of call ``call_id``."""
    layer = get_channel_layer()
    groups = ([DASHBOARD_GROUP] if dashboard else []) + ([call_group(call_id)] if call_id else [])
    if layer is None or not groups:
        return
    message = {"type": MESSAGE_TYPE, "event": event}
    try:
        _send(layer, groups, message)
    except Exception:  # noqa: BLE001 - a live view is a convenience; generation goes on
        logger.exception("publishing a %s event failed", event.get("kind"))


def _send(layer, groups: list[str], message: dict[str, Any]) -> None:
    async def send_all() -> None:
        for group in groups:
            await layer.group_send(group, message)

    loop = _consumer_loop
    if isinstance(layer, InMemoryChannelLayer):
        if loop is None or loop.is_closed():
            return  # no consumer has connected in this process: nobody could receive it
        if _running_loop() is loop:
            loop.create_task(send_all())
        else:
            asyncio.run_coroutine_threadsafe(send_all(), loop)
        return
    if _running_loop() is not None:
        asyncio.get_running_loop().create_task(send_all())
    else:
        async_to_sync(send_all)()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def call_summary(call) -> dict[str, Any]:
    """A call as the dashboard lists it (JSON-ready). Includes text: the socket is staff-only."""
    priority = call.priority
    return {
        "id": call.pk,
        "public_id": str(call.public_id),
        "status": call.status,
        "priority": priority,
        "priority_label": level(priority).label if priority is not None else None,
        "priority_colour": level(priority).colour if priority is not None else None,
        "predicted_priority": call.predicted_priority,
        "override_priority": call.override_priority,
        "text_preview": call.text[:PREVIEW_CHARS],
        "response_preview": call.response[:PREVIEW_CHARS],
        "received_at": _iso(call.received_at),
        "started_at": _iso(call.started_at),
        "first_token_at": _iso(call.first_token_at),
        "finished_at": _iso(call.finished_at),
        "queueing_delay_s": call.queueing_delay_s,
        "ttft_s": call.ttft_s,
        "latency_s": call.latency_s,
        "output_tokens": call.output_tokens,
        "num_preemptions": call.num_preemptions,
        "failure_reason": call.failure_reason,
        "source": call.source,
        "source_label": call.get_source_display(),
        "location": call.location,
        "cards": [{"id": ref.get("id"), "title": ref.get("title"), "version": ref.get("version")}
                  for ref in call.cards or []],
        "finish_reason": call.finish_reason,
        "reply_passed": call.reply_passed,
        "reply_check_reasons": call.reply_check_reasons or [],
        "shown_preview": call.shown_text[:SHOWN_CHARS],
    }


def publish_call(call) -> None:
    publish({"kind": "call", "call": call_summary(call)}, call_id=call.pk)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
