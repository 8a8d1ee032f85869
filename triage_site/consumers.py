"""WebSockets for dispatchers: live events (``triage_site.live``) forwarded to the browser as JSON.

A socket first gets a ``snapshot`` event built from the database (so a reloaded page is right at
once), then every ``live.event`` sent to its group, unchanged. Dispatchers only (see
``triage_site.permissions``): other sockets are accepted and closed at once with a code the page
can act on, since a refused handshake reaches the browser as a bare 1006.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from triage_site import live, selectors
from triage_site.models import Call, CallStatus
from triage_site.permissions import is_dispatcher

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_A_DISPATCHER = 4403
CLOSE_NO_SUCH_CALL = 4404


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Checks the user, joins ``live_groups()``, sends ``snapshot()``, then forwards events."""

    joined: list[str] = []

    async def connect(self) -> None:
        self.joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_NOT_SIGNED_IN)
            return
        if not is_dispatcher(user):
            await self._refuse(CLOSE_NOT_A_DISPATCHER)
            return
        try:
            snapshot = await self.snapshot()
        except Call.DoesNotExist:
            await self._refuse(CLOSE_NO_SUCH_CALL)
            return
        # Join before sending the snapshot: events queue up behind it rather than go missing.
        for group in self.live_groups():
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.accept()
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []

    async def receive_json(self, content: Any, **kwargs) -> None:
        """The socket is one-way: the page acts through forms, never through it."""

    async def live_event(self, message: dict[str, Any]) -> None:
        """A ``live.event`` channel-layer message (``live.MESSAGE_TYPE``)."""
        await self.send_json(message["event"])

    async def _refuse(self, code: int) -> None:
        await self.accept()
        await self.close(code=code)

    def live_groups(self) -> list[str]:
        raise NotImplementedError

    async def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError


class DashboardConsumer(LiveConsumer):
    """``ws/dashboard/``: every call, token and engine event."""

    def live_groups(self) -> list[str]:
        return [live.DASHBOARD_GROUP]

    async def snapshot(self) -> dict[str, Any]:
        return await database_sync_to_async(selectors.dashboard_snapshot)()


class CallConsumer(LiveConsumer):
    """``ws/calls/<id>/``: one call's events. When it ends, the stored response follows in full
    (a page opened part-way through generation streamed only the rest)."""

    def live_groups(self) -> list[str]:
        return [live.call_group(self.call_id)]

    @property
    def call_id(self) -> int:
        return int(self.scope["url_route"]["kwargs"]["call_id"])

    async def snapshot(self) -> dict[str, Any]:
        return await database_sync_to_async(selectors.call_snapshot)(call_id=self.call_id)

    async def live_event(self, message: dict[str, Any]) -> None:
        await super().live_event(message)
        event = message["event"]
        if event.get("kind") == "call" and event["call"]["status"] in (CallStatus.DONE, CallStatus.FAILED):
            await self.send_json(await self.snapshot())
