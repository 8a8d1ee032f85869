"""Where generation runs is one backend object; the fleet's side of the web process (rating,
sending to the broker under the semantic key, re-ranking, re-sending stranded calls)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from kombu.exceptions import OperationalError

from scheduling.broker_key import broker_priority
from triage_site.generation import get_generation_backend
from triage_site.models import Call, CallStatus
from triage_site.services.calls import call_create, call_override_priority

ROUTINE = "Could you tell me when the pharmacy opens on Sunday? I need my allergy tablets."


@pytest.fixture
def published(monkeypatch):
    """What the fleet sends to the broker (the broker itself is exercised in test_fleet.py)."""
    sent = []

    def apply_async(args, queue, priority):
        sent.append({"call_id": args[0], "dispatch_number": args[1], "queue": queue, "priority": priority})

    monkeypatch.setattr("triage_site.tasks.process_call.apply_async", apply_async)
    return sent


@pytest.fixture
def fleet(settings, tiny_classifier_settings, published):
    settings.TRIAGE_GENERATION = "fleet"
    return settings


def create(django_capture_on_commit_callbacks, **fields) -> Call:
    with django_capture_on_commit_callbacks(execute=True):
        call = call_create(text=ROUTINE, **fields)
    call.refresh_from_db()
    return call


@pytest.mark.parametrize(("name", "generates"), [("embedded", True), ("fleet", True), ("off", False)])
def test_the_backend_is_chosen_by_name(settings, name, generates):
    settings.TRIAGE_GENERATION = name
    backend = get_generation_backend()
    assert (backend.name, backend.generates) == (name, generates)


def test_an_unknown_backend_name_is_a_clear_error(settings):
    settings.TRIAGE_GENERATION = "celery"
    with pytest.raises(ImproperlyConfigured, match="TRIAGE_GENERATION must be one of embedded, fleet, off"):
        get_generation_backend()


@pytest.mark.django_db
def test_a_call_is_rated_before_it_reaches_the_broker_and_carries_its_key(
        fleet, published, django_capture_on_commit_callbacks):
    call = create(django_capture_on_commit_callbacks, priority=4)
    assert call.status == CallStatus.CLASSIFIED and call.dispatched_at is not None
    assert published == [{"call_id": call.pk, "dispatch_number": 0, "queue": "gpu",
                          "priority": broker_priority(4, call.predicted_output_tokens)}]


@pytest.mark.django_db
def test_urgent_levels_go_to_the_urgent_queue(fleet, published, django_capture_on_commit_callbacks):
    for level in range(5):
        create(django_capture_on_commit_callbacks, priority=level)
    assert [message["queue"] for message in published] == ["gpu.urgent", "gpu.urgent", "gpu", "gpu", "gpu"]
    assert [m["priority"] for m in published] == sorted((m["priority"] for m in published), reverse=True)


@pytest.mark.django_db
def test_fifo_order_sends_every_call_to_one_queue_without_priority(
        fleet, published, django_capture_on_commit_callbacks):
    fleet.TRIAGE_FLEET_ORDER = "fifo"
    create(django_capture_on_commit_callbacks, priority=0)
    assert published[0]["queue"] == "gpu" and published[0]["priority"] == 0


@pytest.mark.django_db
def test_an_override_of_a_call_still_in_the_broker_sends_it_again_under_a_new_number(
        fleet, published, django_capture_on_commit_callbacks, django_user_model):
    call = create(django_capture_on_commit_callbacks, priority=4)
    dispatcher = django_user_model.objects.create_user("dispatcher")
    with django_capture_on_commit_callbacks(execute=True):
        call_override_priority(call_id=call.pk, priority=0, user=dispatcher)
    call.refresh_from_db()
    assert call.dispatch_number == 1
    assert published[-1] == {"call_id": call.pk, "dispatch_number": 1, "queue": "gpu.urgent",
                             "priority": broker_priority(0, call.predicted_output_tokens)}


@pytest.mark.django_db
def test_an_override_of_a_call_an_engine_holds_is_broadcast_instead(
        fleet, published, django_capture_on_commit_callbacks, django_user_model, monkeypatch):
    call = create(django_capture_on_commit_callbacks, priority=4)
    Call.objects.filter(pk=call.pk).update(status=CallStatus.GENERATING)
    broadcasts = []
    monkeypatch.setattr("triage_site.celery.app.control.broadcast",
                        lambda command, arguments: broadcasts.append((command, arguments)))
    with django_capture_on_commit_callbacks(execute=True):
        call_override_priority(call_id=call.pk, priority=1,
                               user=django_user_model.objects.create_user("dispatcher"))
    assert broadcasts == [("reprioritise_call", {"call_id": call.pk, "priority": 1})]
    assert len(published) == 1  # not sent again


@pytest.mark.django_db
def test_a_call_taken_while_the_broker_is_down_is_kept_and_sent_when_it_returns(
        fleet, published, django_capture_on_commit_callbacks, monkeypatch):
    from triage_site.services.fleet import calls_send_stranded

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as down:
        down.setattr("triage_site.tasks.process_call.apply_async", broker_down)
        call = create(django_capture_on_commit_callbacks, priority=2)
    assert call.status == CallStatus.CLASSIFIED and call.dispatched_at is None
    assert calls_send_stranded(older_than_s=10) == 0  # too recent: its own send may still be on the way
    Call.objects.filter(pk=call.pk).update(classified_at=timezone.now() - timedelta(seconds=11))
    assert calls_send_stranded(older_than_s=10) == 1
    call.refresh_from_db()
    assert call.dispatched_at is not None and published[-1]["call_id"] == call.pk
    assert calls_send_stranded(older_than_s=10) == 0  # sent once, not again


@pytest.fixture
def broker_at(settings):
    """Point the Celery app at a broker URL for one test (connections are pooled per URL)."""
    from triage_site.celery import app

    original = app.conf.broker_url

    def use(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
    yield use
    use(original)


@pytest.mark.django_db
def test_the_dashboard_is_told_when_the_broker_and_the_engines_are_down(fleet, broker_at):
    from bench.fleet_processes import free_port
    from triage_site.generation.fleet import FleetGeneration

    broker_at(f"amqp://guest:guest@127.0.0.1:{free_port()}//")  # nothing listens there
    status = FleetGeneration().service_status()
    assert status["broker_up"] is False and status["engines_alive"] == 0
    assert len(status["alerts"]) == 2 and "broker" in status["alerts"][0]


@pytest.mark.django_db
def test_no_alert_while_the_broker_answers_and_an_engine_reports(fleet, broker_at):
    from bench.fleet_processes import port_open
    from triage_site.generation.fleet import FleetGeneration
    from triage_site.services.generation import engine_worker_heartbeat

    if not port_open(5672):
        pytest.skip("no RabbitMQ on 127.0.0.1:5672 (scripts/start_services.sh starts it)")
    broker_at("amqp://guest:guest@127.0.0.1:5672//")
    engine_worker_heartbeat(name="gpu-host:1", num_seats=8, waiting_per_level=[0] * 5, running_per_level=[0] * 5)
    assert FleetGeneration().service_status() == {"alerts": [], "broker_up": True, "engines_alive": 1}


@pytest.mark.django_db
def test_a_call_never_rated_is_rated_and_sent_by_the_sweeper(fleet, published):
    """The web process stopped between storing a call and rating it: nothing is lost."""
    from triage_site.services.fleet import calls_send_stranded

    call = Call.objects.create(text=ROUTINE)  # stored, never dispatched
    Call.objects.filter(pk=call.pk).update(received_at=timezone.now() - timedelta(seconds=30))
    assert calls_send_stranded(older_than_s=10) == 1 and published[-1]["call_id"] == call.pk
    call.refresh_from_db()
    assert call.status == CallStatus.CLASSIFIED and call.dispatched_at is not None
    assert calls_send_stranded(older_than_s=10) == 0


def test_a_worker_task_that_hits_an_outage_is_sent_again_not_dropped(monkeypatch):
    """The database unreachable while a worker serves a call: the task retries (a new message,
    same priority) instead of being acknowledged as failed with the call left behind."""
    from django.db import OperationalError as DatabaseDown

    from triage_site.tasks import process_call

    outcomes = [DatabaseDown("server closed the connection"), "done"]

    def serve_call(call_id, dispatch_number):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr("triage_site.engine_host.serve_call", serve_call)
    monkeypatch.setattr(process_call, "retry_backoff", False)  # no wait in the test
    assert process_call.apply(args=(1, 0), throw=False).get() == "done"
    assert outcomes == [] and process_call.max_retries is None


@pytest.mark.django_db(transaction=True)  # serve_call closes its connection, as a worker does
def test_a_message_for_a_call_that_no_longer_exists_is_dropped_not_retried():
    from triage_site.engine_host import serve_call
    assert serve_call(987654, None) == "missing"  # returns: the message is acknowledged
