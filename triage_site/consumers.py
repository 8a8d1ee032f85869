"""WebSockets for dispatchers: live events (``triage_site.live``) forwarded to the browser as JSON.

A socket first gets a ``snapshot`` event built from the database (so a reloaded page is right at
once), then every ``live.event`` sent to its group, unchanged. Dispatchers only (see
``triage_site.permissions``): other sockets are accepted and closed at once with a code the page
can act on, since a refused handshake reaches the browser as a bare 1006. The check is repeated
before events are forwarded (at most once per ``RECHECK_S``, so a busy stream costs one query a
second): a socket whose session has ended (logout, expiry) is closed with 4401, and one whose
user lost staff rights or was deactivated with 4403.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from triage_site import live, selectors
from triage_site.models import Call, CallStatus
from triage_site.permissions import is_dispatcher, session_user

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_A_DISPATCHER = 4403
CLOSE_NO_SUCH_CALL = 4404
RECHECK_S = 1.0
"""How long a socket's permission check holds before events make it look again."""


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Checks the user, joins ``live_groups()``, sends ``snapshot()``, then forwards events while
    the user may still see them."""

    joined: list[str] = []
    closed_with: int | None = None
    checked_at = 0.0

    async def connect(self) -> None:
        self.joined = []
        self.checked_at = time.monotonic()
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
        if await self.may_still_stream():
            await self.forward(message["event"])

    async def forward(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def may_still_stream(self) -> bool:
        """Whether the user may still see events; if not, the socket is closed with the reason."""
        if self.closed_with is not None:
            return False  # events already queued for a socket being closed
        now = time.monotonic()
        if now - self.checked_at < RECHECK_S:
            return True
        self.checked_at = now
        code = await database_sync_to_async(self._lost_access)()
        if code is None:
            return True
        self.closed_with = code
        await self.disconnect(code)
        await self.close(code=code)
        return False

    def _lost_access(self) -> int | None:
        """The close code if the socket's session ended or its user is no longer a dispatcher.

        With a session (every browser socket: AuthMiddlewareStack), the session is read again;
        a socket given a user without one (tests) has that user's row read again."""
        opened_by = self.scope["user"]
        session = self.scope.get("session")
        if session is not None:
            user = session_user(session.session_key)
        else:
            user = type(opened_by)._default_manager.filter(pk=opened_by.pk).first()
        if user is None or not user.is_authenticated or user.pk != opened_by.pk:
            return CLOSE_NOT_SIGNED_IN
        return None if is_dispatcher(user) else CLOSE_NOT_A_DISPATCHER

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

    async def forward(self, event: dict[str, Any]) -> None:
        await super().forward(event)
        if event.get("kind") == "call" and event["call"]["status"] in (CallStatus.DONE, CallStatus.FAILED):
            await self.send_json(await self.snapshot())
