"""A real Celery GPU worker on a real Redis: calls are generated there, and a worker killed
mid-generation loses nothing (the call is generated again after the restart).

Runs in the deployment configuration only (PostgreSQL shared with the worker process, Redis
as broker): `make test`'s second pass. The worker uses the real models set up by `make models`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from triage_site.models import Call, CallStatus

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB_URL = "redis://127.0.0.1:6379/14"  # a database of its own: the test flushes it
REDELIVER_AFTER_S = 3
TEXT = ("My neighbour is lying on the floor, she is breathing but not answering me and "
        "her lips look blue. What do I do?")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                       reason="needs a database shared with the worker process (run with DATABASE_URL)"),
]


@pytest.fixture
def broker():
    client = redis.Redis.from_url(REDIS_DB_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def worker_env(broker):
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="triage_site.settings.local",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=REDIS_DB_URL,
        TRIAGE_REDELIVER_AFTER_S=str(REDELIVER_AFTER_S),
        TRIAGE_MODELS_DIR=str(settings.MODELS_DIR),
        OMP_NUM_THREADS="1",
    )
    return env


def start_worker(env: dict[str, str], name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "triage_site", "worker", "-Q", "gpu",
         "--concurrency", "4", "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
         "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_until(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    output, _ = process.communicate(timeout=30)
    return output


@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_no_call(broker, worker_env, settings):
    from triage_site.celery import app
    from triage_site.services.calls import call_create
    from triage_site.tasks import process_call

    settings.TRIAGE_GENERATION = "off"  # store the call here; send the task ourselves below
    call = call_create(text=TEXT, max_new_tokens=64)
    app.conf.broker_url = REDIS_DB_URL
    app.conf.task_always_eager = False
    first = start_worker(worker_env, f"gpu-{uuid.uuid4().hex[:6]}")
    try:
        with app.connection_for_write(REDIS_DB_URL) as conn:
            process_call.apply_async((call.pk,), connection=conn)
        wait_until(lambda: Call.objects.get(pk=call.pk).status == CallStatus.GENERATING, 120,
                   "the first worker to start generating")
        time.sleep(1.0)  # tokens are being generated now
        first.send_signal(signal.SIGKILL)
        first_log = stop(first)
        killed_at = time.time()
        call.refresh_from_db()
        assert call.status == CallStatus.GENERATING, first_log[-3000:]  # died mid-generation
        # The message was never acknowledged: Redis still holds it as unacked.
        assert broker.hlen("unacked") == 1

        second = start_worker(worker_env, f"gpu-{uuid.uuid4().hex[:6]}")
        second_log = ""
        try:
            try:
                done = wait_until(lambda: (c := Call.objects.get(pk=call.pk)).status in
                                  (CallStatus.DONE, CallStatus.FAILED) and c, 400,
                                  "the restarted worker to generate the call again")
            except AssertionError:
                second_log = stop(second)
                raise AssertionError(second_log[-4000:]) from None
            assert done.status == CallStatus.DONE, done.failure_reason
            assert done.started_at.timestamp() > killed_at  # generated again, from the start
            assert done.output_tokens >= 1 and done.response
            wait_until(lambda: broker.hlen("unacked") == 0, 30, "the message to be acknowledged")
            assert broker.llen("gpu") == 0
        finally:
            second_log = second_log or stop(second)
        assert TEXT not in first_log + second_log  # logs carry ids, never what the caller said
    finally:
        stop(first)
        app.conf.task_always_eager = True
