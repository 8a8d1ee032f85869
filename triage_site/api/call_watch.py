"""Follow one call from an async view: its text as it is generated, then the finished call.

The view subscribes to the call's channel-layer group (``live.call_group``) *before* the call is
dispatched: the call is created inside a transaction that also joins the group, and dispatch
waits for the commit. So no token is published before anyone listens, whichever process
generates (this one's engine thread, or a Celery GPU worker through Redis).

Events are a convenience, the database is the truth: every ``RECHECK_S`` without news, and on
each ``call`` event that says the call ended, the call is read again. A token event lost on
the way therefore costs at worst a late tail (the stored response's remainder), never a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from triage_site import live
from triage_site.api.selectors import call_get_by_id
from triage_site.models import Call, CallStatus

FINISHED = (CallStatus.DONE, CallStatus.FAILED)
RECHECK_S = 1.0


class CallTimeout(Exception):
    """The call did not finish in time; it goes on, and its result is stored when it does."""


class CallWatch:
    """A subscription to one call's events. Use ``async with`` so it is always left."""

    def __init__(self, layer, channel: str, call: Call) -> None:
        self.layer = layer
        self.channel = channel
        self.call = call
        """The call as last read; once ``text()`` is exhausted, the finished call."""

    @classmethod
    async def create(cls, create_call: Callable[[], Call]) -> CallWatch:
        """Run ``create_call`` (a service call, in a worker thread) subscribed before dispatch."""
        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("CHANNEL_LAYERS is not configured: live events cannot be followed")
        channel = await layer.new_channel("api")

        def create_subscribed() -> Call:
            with transaction.atomic():  # dispatch is on commit: after the group_add below
                call = create_call()
                # Runs on the server's event loop (asgiref hands it back there): the in-memory
                # layer must only be used from that loop.
                async_to_sync(layer.group_add)(live.call_group(call.pk), channel)
            return call

        return cls(layer, channel, await sync_to_async(create_subscribed)())

    async def __aenter__(self) -> CallWatch:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.layer.group_discard(live.call_group(self.call.pk), self.channel)

    async def text(self, timeout_s: float) -> AsyncIterator[str]:
        """Yield the response as it grows until the call is DONE or FAILED (then ``self.call``
        is the stored call). Raises ``CallTimeout`` after ``timeout_s``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        streamed = ""
        finished = await self.refresh()
        while not finished:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise CallTimeout(f"call {self.call.public_id} is still {self.call.status} "
                                  f"after {timeout_s:g} s")
            event = await self._next_event(min(remaining, RECHECK_S))
            if event is not None and event.get("kind") == "tokens":
                for delta in event.get("deltas", ()):
                    if delta.get("call_id") == self.call.pk and delta.get("text"):
                        streamed += delta["text"]
                        yield delta["text"]
            elif event is None or _says_finished(event):
                finished = await self.refresh()
        response = self.call.response
        if self.call.status == CallStatus.DONE and response.startswith(streamed) and response != streamed:
            yield response[len(streamed):]  # tokens whose events never arrived

    async def finished(self, timeout_s: float) -> Call:
        """Wait until the call is DONE or FAILED; raises ``CallTimeout`` after ``timeout_s``."""
        async for _ in self.text(timeout_s):
            pass
        return self.call

    async def _next_event(self, wait_s: float) -> dict | None:
        """The next event, or None after ``wait_s`` without one."""
        try:
            message = await asyncio.wait_for(self.layer.receive(self.channel), wait_s)
        except asyncio.TimeoutError:
            return None
        return message.get("event")

    async def refresh(self) -> bool:
        """Read the call again; True when it is DONE or FAILED."""
        self.call = await sync_to_async(call_get_by_id)(call_id=self.call.pk)
        return self.call.status in FINISHED


def _says_finished(event: dict) -> bool:
    return event.get("kind") == "call" and event.get("call", {}).get("status") in FINISHED
