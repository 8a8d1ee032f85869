"""The call page and dashboard show the card at once, the checker's verdict, and a machine note."""

from __future__ import annotations

import pytest

from triage_site.models import Call, CallStatus
from triage_site.selectors import dashboard_snapshot

pytestmark = pytest.mark.django_db

ARREST_CARD = [{"id": "cardiac_arrest", "version": 1, "title": "Cardiac arrest: hands-only CPR"}]


@pytest.fixture
def dispatcher_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("d", password="pw-long-enough-1", is_staff=True))
    return client


def test_the_card_is_on_the_call_page_before_any_reply(dispatcher_client):
    call = Call.objects.create(text="He is not breathing", status=CallStatus.QUEUED, predicted_priority=0,
                               cards=ARREST_CARD)
    page = dispatcher_client.get(f"/calls/{call.pk}/").content.decode()
    assert "Cardiac arrest: hands-only CPR" in page and "Push down hard and fast" in page
    assert "https://cpr.heart.org/" in page
    assert "The reply is being written; read the card meanwhile." in page
    assert "Machine-written" in page


def test_a_failed_reply_says_the_card_is_shown_and_why(dispatcher_client):
    call = Call.objects.create(text="He is not breathing", status=CallStatus.DONE, predicted_priority=0,
                               cards=ARREST_CARD, response="1. Call 911.", finish_reason="length",
                               reply_passed=False, reply_check_reasons=["cut at the length cap"],
                               shown_text="Cardiac arrest: hands-only CPR\n1. Make sure it is safe")
    page = dispatcher_client.get(f"/calls/{call.pk}/").content.decode()
    assert "Vetted card shown (reply failed: cut at the length cap)." in page
    assert "(cut at the length cap)" in page and "1. Call 911." in page  # the raw reply, for audit


def test_the_dashboard_names_the_configured_model_before_any_engine_reports(dispatcher_client, settings):
    page = dispatcher_client.get("/").content.decode()
    assert f"{settings.TRIAGE_LM_DIR.name} <small>(configured)</small>" in page
    assert "What the caller hears" in page and 'data-y-title="latency (s)"' in page


def test_the_snapshot_lists_calls_engines_hold_so_the_queue_matches_the_list():
    call = Call.objects.create(text="x", status=CallStatus.GENERATING, predicted_priority=1)
    assert dashboard_snapshot()["in_engines"] == [[call.pk, 1, "generating"]]
    summary = dashboard_snapshot()["calls"][0]
    assert summary["source_label"] == "Dispatcher" and "location" in summary and summary["cards"] == []


def test_the_favicon_is_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_the_snapshot_rebuilds_the_waiting_and_throughput_charts_recent_past():
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    waiting = Call.objects.create(text="x", status=CallStatus.CLASSIFIED, predicted_priority=0)
    Call.objects.filter(pk=waiting.pk).update(received_at=now - timedelta(seconds=30))
    done = Call.objects.create(text="y", status=CallStatus.DONE, predicted_priority=3, output_tokens=100,
                               engine_worker="host:1", started_at=now - timedelta(seconds=60),
                               finished_at=now - timedelta(seconds=40))
    Call.objects.filter(pk=done.pk).update(received_at=now - timedelta(seconds=70))
    history = dashboard_snapshot()["history"]
    assert len(history["times"]) == 61
    assert max(history["waiting"][0]) == 1 and max(history["waiting"][3]) == 1
    assert sum(history["tokens_per_s"]["host:1"]) * 10 == pytest.approx(100, rel=0.01)
