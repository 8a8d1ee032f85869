"""The deployed configuration end to end: a RabbitMQ node of the test's own, two real Celery GPU
workers on the real SmolLM2, PostgreSQL shared with them, and calls made here as the web process
makes them (rated at intake, sent to the broker).

- a P0 call that arrives behind a backlog starts before every routine call still waiting;
- a dispatcher's override re-ranks a call that is still in the broker;
- a broker restart loses no call, and none is stored twice;
- a worker killed mid-generation loses nothing: another worker generates the call again.

Runs in `make test`'s PostgreSQL pass (the workers are other processes and need the database).
"""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from bench.fleet_processes import (OwnRabbitMQ, start_worker, stop_worker, wait_until, worker_env,
                                   worker_ready)
from triage_site.models import Call, CallStatus

ROUTINE = "I would like to ask when I can renew my prescription for allergy tablets next week."
EMERGENCY = "My husband is not breathing and his lips are blue, please help."
NUM_SEATS, MARGIN = 2, 1
TOKENS = 24
REDIS_URL = "redis://127.0.0.1:6379/14"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                       reason="needs a database shared with the worker processes (run with DATABASE_URL)"),
]


@pytest.fixture(scope="module")
def rabbitmq():
    try:
        node = OwnRabbitMQ().start()
    except (RuntimeError, PermissionError, LookupError) as exc:
        pytest.skip(f"cannot start a RabbitMQ node: {exc}")
    yield node
    node.remove()


@pytest.fixture(scope="module")
def fleet(rabbitmq, django_db_setup, django_db_blocker, tmp_path_factory):
    """Two GPU workers (2 seats, margin 1 each) on the test's broker and database."""
    with django_db_blocker.unblock():
        db = connection.settings_dict
    env = worker_env(database_url=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
                     broker_url=rabbitmq.url, redis_url=REDIS_URL, num_seats=NUM_SEATS, margin=MARGIN,
                     models_dir=settings.MODELS_DIR)
    logs = tmp_path_factory.mktemp("workers")
    workers = {}

    def start(name: str):
        log = logs / f"{name}.log"
        workers[name] = (start_worker(env, f"{name}-{uuid.uuid4().hex[:6]}", log), log)
        wait_until(lambda: worker_ready(log) or workers[name][0].poll() is not None, 180, f"worker {name}")
        assert workers[name][0].poll() is None, log.read_text()[-3000:]

    start("a")
    start("b")
    yield type("Fleet", (), {"start": staticmethod(start), "workers": workers, "env": env})
    for process, _ in workers.values():
        stop_worker(process)


@pytest.fixture
def web(fleet, rabbitmq, settings, tiny_classifier_settings):
    """This process plays the web server: rates calls, then sends them to the test's broker."""
    from triage_site.celery import app

    settings.TRIAGE_GENERATION = "fleet"
    app.conf.broker_url = rabbitmq.url
    app.conf.task_always_eager = False
    app._pool = None  # connections are pooled per broker URL: drop the in-memory one
    app.amqp._producer_pool = None
    yield settings
    app.conf.task_always_eager = True


def create(text: str, priority: int) -> Call:
    from triage_site.services.calls import call_create

    return call_create(text=text, priority=priority, max_new_tokens=TOKENS)


def all_finished(calls: list[Call], timeout_s: float = 300) -> list[Call]:
    ids = [call.pk for call in calls]
    return wait_until(lambda: (rows := list(Call.objects.filter(pk__in=ids).order_by("pk"))) and all(
        row.status in (CallStatus.DONE, CallStatus.FAILED) for row in rows) and rows, timeout_s,
        "every call to finish", poll_s=0.5)


def fleet_full(num_calls: int) -> bool:
    """Every worker holds its seats + margin: the rest waits in the broker."""
    return Call.objects.filter(status__in=(CallStatus.QUEUED, CallStatus.GENERATING)).count() >= num_calls


def worker_logs(fleet) -> str:
    return "".join(Path(log).read_text(errors="replace") for _, log in fleet.workers.values())


@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_a_p0_call_starts_before_every_routine_call_still_waiting(web, fleet):
    backlog = [create(ROUTINE, 4) for _ in range(14)]
    wait_until(lambda: fleet_full(2 * (NUM_SEATS + MARGIN)), 120, "the workers to fill up")
    waiting_ids = set(Call.objects.filter(status=CallStatus.CLASSIFIED).values_list("pk", flat=True))
    assert len(waiting_ids) >= 4  # a backlog in the broker, not in the workers

    emergency = create(EMERGENCY, 0)
    finished = {call.pk: call for call in all_finished(backlog + [emergency])}
    p0 = finished[emergency.pk]
    assert p0.status == CallStatus.DONE, p0.failure_reason
    for call_id in waiting_ids:
        assert finished[call_id].started_at > p0.started_at, f"routine call {call_id} started first"
    # Taken by a worker after the P0 was received, yet started before it: an inversion.
    inversions = [c for c in finished.values() if c.pk != p0.pk and c.queued_at > p0.received_at
                  and c.started_at < p0.started_at]
    assert not inversions
    assert p0.queueing_delay_s < 5.0  # seconds: taken at once, not after the backlog
    assert ROUTINE not in worker_logs(fleet) and EMERGENCY not in worker_logs(fleet)


@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_an_override_re_ranks_a_call_still_in_the_broker(web, fleet):
    from triage_site.services.calls import call_override_priority

    backlog = [create(ROUTINE, 4) for _ in range(12)]
    wait_until(lambda: fleet_full(2 * (NUM_SEATS + MARGIN)), 120, "the workers to fill up")
    waiting = list(Call.objects.filter(status=CallStatus.CLASSIFIED).order_by("pk"))
    assert len(waiting) >= 3
    last = waiting[-1]  # the last in arrival order: without the override it would start last
    dispatcher = get_user_model().objects.create_user("dispatcher")
    call_override_priority(call_id=last.pk, priority=1, user=dispatcher)

    finished = {call.pk: call for call in all_finished(backlog)}
    overridden = finished[last.pk]
    assert overridden.dispatch_number == 1  # sent again under its new urgency
    for other in waiting[:-1]:
        assert finished[other.pk].started_at > overridden.started_at
    assert all(call.status == CallStatus.DONE for call in finished.values())


@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_a_broker_restart_loses_no_call_and_stores_none_twice(web, fleet, rabbitmq):
    from triage_site.services.fleet import calls_send_stranded

    calls = [create(ROUTINE, 3) for _ in range(10)]
    wait_until(lambda: Call.objects.filter(status=CallStatus.GENERATING).exists(), 120, "generation")
    rabbitmq.stop()  # with calls generating, held by workers, and waiting in the broker
    started = time.monotonic()
    during = [create(ROUTINE, 2) for _ in range(2)]  # taken while the broker is down
    assert time.monotonic() - started < 10  # intake does not hang on the broker
    for call in during:
        call.refresh_from_db()
        assert call.status == CallStatus.CLASSIFIED and call.dispatched_at is None  # kept, not sent
    rabbitmq.start()
    assert calls_send_stranded(older_than_s=0) == 2  # the web server's sweeper, run at once
    calls += during

    finished = all_finished(calls, timeout_s=400)
    assert all(call.status == CallStatus.DONE for call in finished), [c.failure_reason for c in finished]
    logs = worker_logs(fleet)
    for call in finished:  # stored exactly once, by exactly one worker
        assert logs.count(f"call {call.pk} done:") == 1, logs[-3000:]
    assert all(process.poll() is None for process, _ in fleet.workers.values())  # survived it


@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_no_call(web, fleet):
    calls = [create(ROUTINE, 2) for _ in range(4)]
    generating = wait_until(lambda: Call.objects.filter(status=CallStatus.GENERATING).first(), 120,
                            "generation to start")
    victim = next(name for name, (process, _) in fleet.workers.items()
                  if generating.engine_worker.endswith(f":{process.pid}"))
    time.sleep(1.0)  # tokens are being generated now
    stop_worker(fleet.workers[victim][0], signal.SIGKILL)
    killed_at = time.time()

    finished = {call.pk: call for call in all_finished(calls, timeout_s=400)}
    again = finished[generating.pk]
    assert again.status == CallStatus.DONE, again.failure_reason
    assert again.started_at.timestamp() > killed_at  # generated again, from the start
    assert not again.engine_worker.endswith(f":{fleet.workers[victim][0].pid}")
    assert all(call.status == CallStatus.DONE for call in finished.values())
