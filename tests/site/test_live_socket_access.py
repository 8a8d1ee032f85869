"""A live socket stops streaming when its session ends or its user is no longer a dispatcher."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client

from triage_site import consumers, live
from triage_site.consumers import CLOSE_NOT_A_DISPATCHER, CLOSE_NOT_SIGNED_IN
from triage_site.models import Call, CallStatus
from triage_site.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

APP = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))  # as asgi.py mounts it: the session cookie counts


def tokens_event(call_id: int, text: str) -> dict:
    return {"kind": "tokens", "deltas": [{"call_id": call_id, "text": text}]}


@pytest.fixture(autouse=True)
def fresh_loop(monkeypatch):
    monkeypatch.setattr(live, "_consumer_loop", None)


@pytest.fixture
def dispatcher(django_user_model):
    return django_user_model.objects.create_user("dispatcher", password="pw-long-enough-1", is_staff=True)


@pytest.fixture
def browser(dispatcher) -> Client:
    browser = Client()
    browser.force_login(dispatcher)
    return browser


@pytest.fixture
def call():
    return Call.objects.create(text="chest pain", status=CallStatus.GENERATING, predicted_priority=1)


async def open_socket(browser: Client, path: str = "/ws/dashboard/") -> WebsocketCommunicator:
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(APP, path, headers=[(b"cookie", cookie)])
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["kind"] == "snapshot"
    return communicator


async def assert_closed_with(communicator: WebsocketCommunicator, code: int) -> None:
    assert await communicator.receive_output() == {"type": "websocket.close", "code": code}
    assert await communicator.receive_nothing()


def run(body) -> None:
    async_to_sync(body)()


@pytest.mark.parametrize("path", ["/ws/dashboard/", "call"])
def test_after_logout_the_socket_is_closed_before_the_next_event(browser, call, monkeypatch, path):
    monkeypatch.setattr(consumers, "RECHECK_S", 0.0)
    path = f"/ws/calls/{call.pk}/" if path == "call" else path

    async def body():
        live.remember_consumer_loop(asyncio.get_running_loop())
        communicator = await open_socket(browser, path)
        live.publish(tokens_event(call.pk, "Sit him"), call_id=call.pk)
        assert (await communicator.receive_json_from())["deltas"][0]["text"] == "Sit him"

        await database_sync_to_async(browser.logout)()
        live.publish(tokens_event(call.pk, "down and"), call_id=call.pk)
        await assert_closed_with(communicator, CLOSE_NOT_SIGNED_IN)
        live.publish(tokens_event(call.pk, "keep him warm"), call_id=call.pk)
        assert await communicator.receive_nothing()
    run(body)


@pytest.mark.parametrize("change,code", [({"is_staff": False}, CLOSE_NOT_A_DISPATCHER),
                                         ({"is_active": False}, CLOSE_NOT_SIGNED_IN)])
def test_losing_staff_rights_or_being_deactivated_closes_the_socket(browser, dispatcher, call, monkeypatch,
                                                                   change, code):
    monkeypatch.setattr(consumers, "RECHECK_S", 0.0)

    async def body():
        live.remember_consumer_loop(asyncio.get_running_loop())
        communicator = await open_socket(browser)
        await database_sync_to_async(type(dispatcher).objects.filter(pk=dispatcher.pk).update)(**change)
        live.publish(tokens_event(call.pk, "Sit him"), call_id=call.pk)
        await assert_closed_with(communicator, code)
    run(body)


def test_an_expired_session_closes_the_socket(browser, call, monkeypatch):
    monkeypatch.setattr(consumers, "RECHECK_S", 0.0)
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    async def body():
        live.remember_consumer_loop(asyncio.get_running_loop())
        communicator = await open_socket(browser)
        await database_sync_to_async(Session.objects.update)(expire_date=timezone.now())
        live.publish(tokens_event(call.pk, "Sit him"), call_id=call.pk)
        await assert_closed_with(communicator, CLOSE_NOT_SIGNED_IN)
    run(body)


def test_the_check_runs_at_most_once_per_interval_on_a_busy_stream(browser, call, monkeypatch):
    monkeypatch.setattr(consumers, "RECHECK_S", 0.5)
    checks = []
    real_check = consumers.LiveConsumer._lost_access

    def counted(self):
        checks.append(1)
        return real_check(self)

    monkeypatch.setattr(consumers.LiveConsumer, "_lost_access", counted)

    async def body():
        live.remember_consumer_loop(asyncio.get_running_loop())
        communicator = await open_socket(browser)
        for index in range(30):
            live.publish(tokens_event(call.pk, f"t{index}"), call_id=call.pk)
            await communicator.receive_json_from()
        checked = len(checks)
        assert checked <= 1  # 30 events, well inside one interval
        await asyncio.sleep(0.6)
        live.publish(tokens_event(call.pk, "later"), call_id=call.pk)
        await communicator.receive_json_from()
        assert len(checks) == checked + 1  # the interval passed: looked again
        await communicator.disconnect()
    run(body)
