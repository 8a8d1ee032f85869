"""Read the process environment once into typed values; a malformed value fails loudly.

Error messages name the variable and what is wrong with it, never its value:
a URL can carry a password.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from inference.triage.registry import CLASSIFIER_KINDS
from scheduling.policies import POLICIES

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


@dataclass(frozen=True)
class Env:
    """The environment variables the settings modules consult; None means unset."""

    debug: bool | None
    secret_key: str | None
    allowed_hosts: tuple[str, ...] | None
    database: dict[str, Any] | None
    redis_url: str | None
    triage_classifier: str | None = None
    models_dir: str | None = None
    engine_policy: str | None = None
    engine_device: str | None = None
    redeliver_after_s: int | None = None


def read_env(environ: Mapping[str, str]) -> Env:
    """Parse `environ` (os.environ in settings, a plain dict in tests); empty counts as unset."""
    values = {name: value.strip() for name, value in environ.items() if value.strip()}
    debug = values.get("DJANGO_DEBUG")
    hosts = values.get("DJANGO_ALLOWED_HOSTS")
    database_url = values.get("DATABASE_URL")
    redis_url = values.get("REDIS_URL")
    return Env(
        debug=None if debug is None else parse_bool("DJANGO_DEBUG", debug),
        secret_key=values.get("DJANGO_SECRET_KEY"),
        allowed_hosts=None if hosts is None else parse_list(hosts),
        database=None if database_url is None else parse_database_url(database_url),
        redis_url=None if redis_url is None else parse_redis_url(redis_url),
        triage_classifier=parse_choice("TRIAGE_CLASSIFIER", values.get("TRIAGE_CLASSIFIER"),
                                       CLASSIFIER_KINDS),
        models_dir=values.get("TRIAGE_MODELS_DIR"),
        engine_policy=parse_choice("TRIAGE_POLICY", values.get("TRIAGE_POLICY"), tuple(POLICIES)),
        engine_device=values.get("TRIAGE_DEVICE"),
        redeliver_after_s=parse_positive_int("TRIAGE_REDELIVER_AFTER_S",
                                             values.get("TRIAGE_REDELIVER_AFTER_S")),
    )


def parse_positive_int(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ImproperlyConfigured(f"{name} must be a positive whole number of seconds, got {raw!r}.")
    return int(raw)


def parse_choice(name: str, raw: str | None, choices: tuple[str, ...]) -> str | None:
    if raw is not None and raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {raw!r}.")
    return raw


def parse_bool(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of {sorted(_TRUE | _FALSE)}, got {raw!r}."
    )


def parse_list(raw: str) -> tuple[str, ...]:
    """Split a comma-separated value, dropping blanks (`a, b,` is ("a", "b"))."""
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def parse_database_url(raw: str) -> dict[str, Any]:
    """Turn DATABASE_URL into a Django DATABASES entry via dj-database-url."""
    try:
        config = dict(dj_database_url.parse(raw))
    except ValueError as exc:  # UnknownSchemeError and ParseError are ValueErrors
        raise ImproperlyConfigured(
            f"DATABASE_URL is malformed ({exc}); expected e.g. "
            "postgres://USER:PASSWORD@HOST:5432/NAME."
        ) from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(
            "DATABASE_URL names no database; expected e.g. "
            "postgres://USER:PASSWORD@HOST:5432/NAME."
        )
    return config


def parse_redis_url(raw: str) -> str:
    """Check REDIS_URL is a URL redis-py, Celery and channels_redis all accept."""
    try:
        parts = urlsplit(raw)
        _ = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"REDIS_URL is malformed ({exc}); expected e.g. redis://HOST:6379/0."
        ) from None
    if parts.scheme not in _REDIS_SCHEMES:
        raise ImproperlyConfigured(
            f"REDIS_URL must use scheme redis, rediss or unix, got {parts.scheme!r}; "
            "expected e.g. redis://HOST:6379/0."
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise ImproperlyConfigured(
            "REDIS_URL names no host; expected e.g. redis://HOST:6379/0."
        )
    return raw
