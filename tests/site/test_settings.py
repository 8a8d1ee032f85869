"""Settings read the environment once and reject malformed values with a clear message."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from triage_site.settings.env import read_env


def test_it_defaults_to_sqlite_and_no_redis_when_unset() -> None:
    env = read_env({})
    assert env.database is None
    assert env.redis_url is None
    assert env.debug is None


def test_it_treats_empty_values_as_unset() -> None:
    env = read_env({"DATABASE_URL": "", "REDIS_URL": "  "})
    assert env.database is None
    assert env.redis_url is None


def test_it_parses_a_postgres_url() -> None:
    env = read_env({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"})
    assert env.database is not None
    assert env.database["ENGINE"] == "django.db.backends.postgresql"
    assert env.database["NAME"] == "test"
    assert env.database["PORT"] == 5432


def test_it_accepts_a_redis_url() -> None:
    assert read_env({"REDIS_URL": "redis://127.0.0.1:6379/0"}).redis_url == (
        "redis://127.0.0.1:6379/0"
    )


@pytest.mark.parametrize(
    "url",
    ["not a url", "mysqlx://host/db", "postgres://u@h:notaport/db", "postgres://host/"],
)
def test_it_rejects_a_malformed_database_url(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        read_env({"DATABASE_URL": url})


@pytest.mark.parametrize(
    "url", ["localhost:6379", "http://localhost:6379/0", "redis://h:port/0", "redis:///0"]
)
def test_it_rejects_a_malformed_redis_url(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        read_env({"REDIS_URL": url})


def test_it_keeps_passwords_out_of_error_messages() -> None:
    with pytest.raises(ImproperlyConfigured) as excinfo:
        read_env({"DATABASE_URL": "postgres://user:hunter2@host:notaport/db"})
    assert "hunter2" not in str(excinfo.value)


def test_it_rejects_a_malformed_debug_flag() -> None:
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        read_env({"DJANGO_DEBUG": "maybe"})


def test_it_accepts_a_rabbitmq_broker_url_and_the_fleet_settings() -> None:
    env = read_env({"BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//", "TRIAGE_GENERATION": "fleet",
                    "TRIAGE_MAX_NUM_SEQS": "4", "TRIAGE_FLEET_MARGIN": "0", "TRIAGE_FLEET_ORDER": "fifo"})
    assert env.broker_url == "amqp://guest:guest@127.0.0.1:5672//"
    assert (env.generation, env.max_num_seqs, env.fleet_margin, env.fleet_order) == ("fleet", 4, 0, "fifo")


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "amqp://:5672//", "amqp://h:port//"])
def test_it_rejects_a_broker_url_that_is_not_rabbitmq(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="BROKER_URL"):
        read_env({"BROKER_URL": url})


@pytest.mark.parametrize(("name", "value"), [("TRIAGE_GENERATION", "celery"), ("TRIAGE_MAX_NUM_SEQS", "0"),
                                             ("TRIAGE_FLEET_MARGIN", "-1"), ("TRIAGE_FLEET_ORDER", "lifo")])
def test_it_rejects_bad_fleet_settings_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=name):
        read_env({name: value})
