"""The live sockets: dispatchers only, a snapshot on connect, then every live event as JSON."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from triage_site import live
from triage_site.consumers import CLOSE_NO_SUCH_CALL, CLOSE_NOT_A_DISPATCHER, CLOSE_NOT_SIGNED_IN
from triage_site.models import Call, CallStatus
from triage_site.routing import websocket_urlpatterns

# Consumers read the database on another thread's connection: the rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

APP = URLRouter(websocket_urlpatterns)
ENGINE_EVENT = {"kind": "engine", "worker": "gpu-1:42", "policy": "semantic", "model": "smollm2",
                "device": "cpu", "time": 1.0, "waiting": [1, 0, 0, 0, 2], "running": [0, 1, 0, 0, 0],
                "kv_blocks_used": 3, "kv_blocks": 512, "batch_size": 1, "tokens_per_s": 12.5}


@pytest.fixture(autouse=True)
def fresh_loop(monkeypatch):
    """Each test runs its own event loop: forget the one an earlier test left in ``live``."""
    monkeypatch.setattr(live, "_consumer_loop", None)


@pytest.fixture
def dispatcher(django_user_model):
    return django_user_model.objects.create_user("dispatcher", password="pw-long-enough-1", is_staff=True)


def run(test) -> None:
    """Run an async test body; sync work it awaits (the consumers' queries) runs on this thread."""
    async_to_sync(test)()


async def connect(path: str, user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(APP, path)
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def test_an_anonymous_socket_is_closed_with_4401():
    async def body():
        communicator = await connect("/ws/dashboard/", AnonymousUser())
        assert await communicator.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_SIGNED_IN}
    run(body)


def test_a_signed_in_user_without_staff_rights_is_closed_with_4403(django_user_model):
    user = django_user_model.objects.create_user("clerk", password="pw-long-enough-1")

    async def body():
        communicator = await connect("/ws/dashboard/", user)
        assert await communicator.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_A_DISPATCHER}
    run(body)


def test_a_dispatcher_first_gets_the_recent_calls_newest_first(dispatcher):
    older = Call.objects.create(text="twisted ankle", status=CallStatus.DONE, predicted_priority=3,
                                response="Rest it and keep it raised.")
    newer = Call.objects.create(text="not breathing", status=CallStatus.CLASSIFIED, predicted_priority=0)

    async def body():
        communicator = await connect("/ws/dashboard/", dispatcher)
        snapshot = await communicator.receive_json_from()
        assert snapshot["kind"] == "snapshot" and snapshot["server_time"]
        assert [call["id"] for call in snapshot["calls"]] == [newer.pk, older.pk]
        assert snapshot["calls"][0]["priority_label"] == "P0 immediate"
        assert snapshot["calls"][0]["priority_colour"] == "#c62828"
        assert snapshot["calls"][1]["response_preview"] == "Rest it and keep it raised."
        await communicator.disconnect()
    run(body)


def test_events_published_by_the_engine_thread_reach_the_dashboard(dispatcher):
    call = Call.objects.create(text="chest pain", status=CallStatus.GENERATING, predicted_priority=1)

    async def body():
        live.remember_consumer_loop(asyncio.get_running_loop())  # what asgi.py does
        communicator = await connect("/ws/dashboard/", dispatcher)
        await communicator.receive_json_from()  # the snapshot
        loop = asyncio.get_running_loop()
        # From another thread, as the engine loop publishes: handed to the consumers' loop.
        await loop.run_in_executor(None, live.publish, ENGINE_EVENT)
        assert await communicator.receive_json_from() == ENGINE_EVENT
        tokens = {"kind": "tokens", "deltas": [{"call_id": call.pk, "text": "Sit him"}]}
        await loop.run_in_executor(None, live.publish, tokens)
        assert await communicator.receive_json_from() == tokens
        # From the loop itself, and straight through the layer.
        live.publish_call(call)
        event = await communicator.receive_json_from()
        assert event["kind"] == "call" and event["call"]["id"] == call.pk
        assert event["call"]["status"] == "generating"
        await get_channel_layer().group_send(live.DASHBOARD_GROUP, {"type": live.MESSAGE_TYPE,
                                                                     "event": {"kind": "engine"}})
        assert await communicator.receive_json_from() == {"kind": "engine"}
        await communicator.disconnect()
    run(body)


def test_a_call_socket_follows_one_call_and_gets_the_full_response_when_it_ends(dispatcher):
    call = Call.objects.create(text="fell off a ladder", status=CallStatus.GENERATING, predicted_priority=2)
    other = Call.objects.create(text="cold symptoms", status=CallStatus.GENERATING, predicted_priority=4)
    response = "Keep him still. " * 40  # longer than the preview the dashboard gets

    async def body():
        live.remember_consumer_loop(asyncio.get_running_loop())
        communicator = await connect(f"/ws/calls/{call.pk}/", dispatcher)
        snapshot = await communicator.receive_json_from()
        assert snapshot["calls"][0]["id"] == call.pk and snapshot["response"] == ""
        live.publish({"kind": "tokens", "deltas": [{"call_id": other.pk, "text": "x"}]},
                     call_id=other.pk, dashboard=False)
        mine = {"kind": "tokens", "deltas": [{"call_id": call.pk, "text": "Keep"}]}
        live.publish(mine, call_id=call.pk, dashboard=False)
        assert await communicator.receive_json_from() == mine  # the other call's never came

        await database_sync_to_async(finish)(call.pk, response)
        done = await communicator.receive_json_from()
        assert done["kind"] == "call" and done["call"]["status"] == "done"
        assert len(done["call"]["response_preview"]) < len(response)
        full = await communicator.receive_json_from()
        assert full["kind"] == "snapshot" and full["response"] == response
        assert await communicator.receive_nothing()
        await communicator.disconnect()
    run(body)


def finish(call_id: int, response: str) -> None:
    Call.objects.filter(pk=call_id).update(status=CallStatus.DONE, response=response)
    live.publish_call(Call.objects.get(pk=call_id))


def test_a_socket_for_an_unknown_call_is_closed_with_4404(dispatcher):
    async def body():
        communicator = await connect("/ws/calls/999999/", dispatcher)
        assert await communicator.receive_output() == {"type": "websocket.close", "code": CLOSE_NO_SUCH_CALL}
    run(body)
