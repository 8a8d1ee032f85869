"""Live events cross from worker threads to the consumers' event loop, and carry no surprises."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.layers import get_channel_layer

from triage_site import live
from triage_site.models import Call


def test_an_event_published_from_another_thread_reaches_the_dashboard_group(settings):
    async def scenario() -> dict:
        layer = get_channel_layer()
        live.remember_consumer_loop(asyncio.get_running_loop())
        channel = await layer.new_channel()
        await layer.group_add(live.DASHBOARD_GROUP, channel)
        worker = threading.Thread(target=live.publish, args=({"kind": "engine", "worker": "w1"},))
        worker.start()
        message = await asyncio.wait_for(layer.receive(channel), timeout=5)
        worker.join()
        return message

    message = asyncio.run(scenario())
    assert message == {"type": live.MESSAGE_TYPE, "event": {"kind": "engine", "worker": "w1"}}


def test_a_call_event_goes_to_the_dashboard_and_to_the_call_group_only(settings):
    async def scenario() -> tuple[dict, bool]:
        layer = get_channel_layer()
        live.remember_consumer_loop(asyncio.get_running_loop())
        mine, other = await layer.new_channel(), await layer.new_channel()
        await layer.group_add(live.call_group(7), mine)
        await layer.group_add(live.call_group(8), other)
        await asyncio.to_thread(live.publish, {"kind": "tokens", "deltas": []}, call_id=7, dashboard=False)
        message = await asyncio.wait_for(layer.receive(mine), timeout=5)
        try:
            await asyncio.wait_for(layer.receive(other), timeout=0.2)
            leaked = True
        except asyncio.TimeoutError:
            leaked = False
        return message, leaked

    message, leaked = asyncio.run(scenario())
    assert message["event"]["kind"] == "tokens" and not leaked


@pytest.mark.django_db
def test_a_call_summary_shows_the_urgency_to_act_on():
    call = Call.objects.create(text="Chest pain for an hour", predicted_priority=2, override_priority=1)
    summary = live.call_summary(call)
    assert summary["priority"] == 1 and summary["priority_label"] == "P1 emergent"
    assert summary["predicted_priority"] == 2 and summary["text_preview"] == "Chest pain for an hour"
