"""Read the process environment once into typed values; a malformed value fails loudly.

Error messages name the variable and what is wrong with it, never its value:
a URL can carry a password.
"""

from __future__ import annotations

import re
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
_BROKER_SCHEMES = frozenset({"amqp", "amqps", "pyamqp"})
GENERATION_BACKENDS = ("embedded", "fleet", "off")
LENGTH_PREDICTOR_KINDS = ("learned", "level-baseline")
"""The output-length predictors (``triage_site.triage.load_configured_length_predictor``)."""
"""Where calls are generated (``triage_site.generation``): this process, GPU workers, nowhere."""


@dataclass(frozen=True)
class Env:
    """The environment variables the settings modules consult; None means unset."""

    debug: bool | None
    secret_key: str | None
    allowed_hosts: tuple[str, ...] | None
    database: dict[str, Any] | None
    redis_url: str | None
    triage_classifier: str | None = None
    length_predictor: str | None = None
    models_dir: str | None = None
    engine_policy: str | None = None
    engine_device: str | None = None
    broker_url: str | None = None
    generation: str | None = None
    max_num_seqs: int | None = None
    fleet_margin: int | None = None
    fleet_order: str | None = None
    fleet_urgent_reserve: int | None = None


def read_env(environ: Mapping[str, str]) -> Env:
    """Parse `environ` (os.environ in settings, a plain dict in tests); empty counts as unset."""
    values = {name: value.strip() for name, value in environ.items() if value.strip()}
    debug = values.get("DJANGO_DEBUG")
    hosts = values.get("DJANGO_ALLOWED_HOSTS")
    database_url = values.get("DATABASE_URL")
    redis_url = values.get("REDIS_URL")
    broker_url = values.get("BROKER_URL")
    return Env(
        debug=None if debug is None else parse_bool("DJANGO_DEBUG", debug),
        secret_key=values.get("DJANGO_SECRET_KEY"),
        allowed_hosts=None if hosts is None else parse_list(hosts),
        database=None if database_url is None else parse_database_url(database_url),
        redis_url=None if redis_url is None else parse_redis_url(redis_url),
        triage_classifier=parse_choice("TRIAGE_CLASSIFIER", values.get("TRIAGE_CLASSIFIER"),
                                       CLASSIFIER_KINDS),
        length_predictor=parse_choice("TRIAGE_LENGTH_PREDICTOR", values.get("TRIAGE_LENGTH_PREDICTOR"),
                                      LENGTH_PREDICTOR_KINDS),
        models_dir=values.get("TRIAGE_MODELS_DIR"),
        engine_policy=parse_choice("TRIAGE_POLICY", values.get("TRIAGE_POLICY"), tuple(POLICIES)),
        engine_device=values.get("TRIAGE_DEVICE"),
        broker_url=None if broker_url is None else parse_broker_url(broker_url),
        max_num_seqs=parse_positive_int("TRIAGE_MAX_NUM_SEQS", values.get("TRIAGE_MAX_NUM_SEQS")),
        fleet_margin=parse_positive_int("TRIAGE_FLEET_MARGIN", values.get("TRIAGE_FLEET_MARGIN"), minimum=0),
        fleet_urgent_reserve=parse_positive_int("TRIAGE_FLEET_URGENT_RESERVE",
                                                values.get("TRIAGE_FLEET_URGENT_RESERVE"), minimum=0),
        fleet_order=parse_choice("TRIAGE_FLEET_ORDER", values.get("TRIAGE_FLEET_ORDER"), ("semantic", "fifo")),
        generation=parse_choice("TRIAGE_GENERATION", values.get("TRIAGE_GENERATION"), GENERATION_BACKENDS),
    )


def parse_positive_int(name: str, raw: str | None, minimum: int = 1) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number >= {minimum}, got {raw!r}.")
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


def parse_broker_url(raw: str) -> str:
    """Check BROKER_URL names a RabbitMQ server: the fleet relies on its priority queues."""
    try:
        parts = urlsplit(raw)
        _ = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"BROKER_URL is malformed ({exc}); expected e.g. amqp://USER:PASSWORD@HOST:5672//."
        ) from None
    if parts.scheme not in _BROKER_SCHEMES:
        raise ImproperlyConfigured(
            f"BROKER_URL must be a RabbitMQ URL (scheme amqp or amqps), got scheme {parts.scheme!r}; "
            "the fleet orders calls with RabbitMQ priority queues (docs/ARCHITECTURE.md)."
        )
    if not parts.hostname:
        raise ImproperlyConfigured("BROKER_URL names no host; expected e.g. amqp://USER:PASSWORD@HOST:5672//.")
    return raw


# --- What only the production settings read (triage_site/settings/production.py) ---------------

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")
_ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?")


@dataclass(frozen=True)
class ProductionEnv:
    """Production's TLS, proxy and HSTS choices; None means unset (production picks the default)."""

    csrf_trusted_origins: tuple[str, ...] | None = None
    proxy_ssl_header: tuple[str, str] | None = None
    use_x_forwarded_host: bool | None = None
    ssl_redirect: bool | None = None
    hsts_seconds: int | None = None
    hsts_preload: bool | None = None


def read_production_env(environ: Mapping[str, str]) -> ProductionEnv:
    """Parse production's variables; as ``read_env``, empty counts as unset."""
    values = {name: value.strip() for name, value in environ.items() if value.strip()}

    def flag(name: str) -> bool | None:
        return None if name not in values else parse_bool(name, values[name])

    origins = values.get("DJANGO_CSRF_TRUSTED_ORIGINS")
    header = values.get("DJANGO_SECURE_PROXY_SSL_HEADER")
    return ProductionEnv(
        csrf_trusted_origins=None if origins is None else parse_origins("DJANGO_CSRF_TRUSTED_ORIGINS", origins),
        proxy_ssl_header=None if header is None else parse_proxy_ssl_header(header),
        use_x_forwarded_host=flag("DJANGO_USE_X_FORWARDED_HOST"),
        ssl_redirect=flag("DJANGO_SECURE_SSL_REDIRECT"),
        hsts_seconds=parse_seconds("DJANGO_SECURE_HSTS_SECONDS", values.get("DJANGO_SECURE_HSTS_SECONDS")),
        hsts_preload=flag("DJANGO_SECURE_HSTS_PRELOAD"),
    )


def parse_seconds(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number of seconds (0 or more), got {raw!r}.")
    return int(raw)


def parse_origins(name: str, raw: str) -> tuple[str, ...]:
    """A comma-separated list of origins, each ``https://host[:port]`` (``*.`` allowed before the
    host), as Django's CSRF_TRUSTED_ORIGINS wants them: a scheme, and no path."""
    origins = parse_list(raw)
    for position, origin in enumerate(origins, start=1):
        if not _ORIGIN.fullmatch(origin):
            raise ImproperlyConfigured(
                f"{name} entry {position} is not an origin; expected e.g. https://triage.example.org "
                "(scheme and host, optional :port, no path), comma-separated.")
    return origins


def parse_proxy_ssl_header(raw: str) -> tuple[str, str]:
    """``X-Forwarded-Proto: https`` (the header your TLS proxy sets, and its value for HTTPS) as
    Django's SECURE_PROXY_SSL_HEADER: ``("HTTP_X_FORWARDED_PROTO", "https")``."""
    name, colon, value = raw.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _HEADER_NAME.fullmatch(name) or not value:
        raise ImproperlyConfigured(
            "DJANGO_SECURE_PROXY_SSL_HEADER must be 'Header-Name: value', e.g. 'X-Forwarded-Proto: https'.")
    return "HTTP_" + name.upper().replace("-", "_"), value
