"""Settings shared by every environment; the environment is read once, here.

Backends follow the environment: DATABASE_URL (dj-database-url) replaces the
SQLite file under var/; REDIS_URL switches the channel layer from in-memory to
Redis; BROKER_URL (RabbitMQ) sends calls to GPU workers instead of this
process's engine (TRIAGE_GENERATION=fleet, see triage_site.generation).
"""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from scheduling.broker_key import MAX_BROKER_PRIORITY
from triage_site.settings.env import read_env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"  # git-ignored: SQLite file, collected static files
VAR_DIR.mkdir(exist_ok=True)

ENV = read_env(os.environ)

DEBUG = False if ENV.debug is None else ENV.debug
ALLOWED_HOSTS = list(ENV.allowed_hosts or ("localhost", "127.0.0.1", "[::1]"))
# SECRET_KEY is set by each environment module: only they know whether a
# development default is acceptable.

INSTALLED_APPS = [
    "daphne",  # first, so its runserver (ASGI, websockets) replaces Django's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "triage_site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "triage_site.urls"
ASGI_APPLICATION = "triage_site.asgi.application"
WSGI_APPLICATION = "triage_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES: dict[str, dict[str, Any]] = {
    "default": ENV.database
    or {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3",
        # Many writers (requests, the engine thread): WAL lets readers run beside the one writer,
        # IMMEDIATE takes the write lock when a transaction starts (so it waits for it there, not
        # half-way through), and a writer waits up to 20 s for the lock instead of failing at once.
        "OPTIONS": {"init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=normal;",
                    "transaction_mode": "IMMEDIATE", "timeout": 20}}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = LOGIN_URL

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The dashboard's Plotly comes from the plotly package itself (nothing loaded from the internet):
# its bundled plotly.min.js is served as static/vendor/plotly/plotly.min.js.
_PLOTLY_DIR = Path(importlib.util.find_spec("plotly").submodule_search_locations[0])
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/plotly", _PLOTLY_DIR / "package_data")]
STATIC_ROOT = VAR_DIR / "static"

if ENV.redis_url is None:
    CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [ENV.redis_url]},
        }
    }

# Where calls are generated (triage_site.generation): "embedded" (an engine thread in the web
# process: the default), "fleet" (GPU workers behind RabbitMQ: the default when BROKER_URL is
# set) or "off" (classify only). TRIAGE_GENERATION overrides the choice.
TRIAGE_GENERATION = ENV.generation or ("fleet" if ENV.broker_url else "embedded")
if TRIAGE_GENERATION == "fleet" and not (ENV.broker_url and ENV.redis_url):
    raise ImproperlyConfigured("TRIAGE_GENERATION=fleet needs BROKER_URL (RabbitMQ, where calls wait) and "
                               "REDIS_URL (the channel layer that carries workers' live events).")
# `semantic-guard`: urgency first for every level, then predicted remaining work, with the
# iterations class-0 calls decode in kept lean for the device (inference/engine/policy_profiles.py:
# on a CPU they decode alone). bench/engine_bench.py: P0 under load 1.38x idle against 2.86x for
# `semantic`, throughput 0.97x transformers' continuous batching (docs/BENCHMARKS.md, issue 10).
TRIAGE_ENGINE_POLICY = ENV.engine_policy or "semantic-guard"
TRIAGE_ENGINE_DEVICE = ENV.engine_device  # None: CUDA when available, else CPU
TRIAGE_ENGINE_MAX_NEW_TOKENS = 160  # room for a card read out (about 120 tokens); a cut reply is never shown
# The replies the length model learns from are generated with the same cap the engine applies.
TRIAGE_LENGTH_MAX_NEW_TOKENS = TRIAGE_ENGINE_MAX_NEW_TOKENS
TRIAGE_ENGINE_MAX_NUM_SEQS = ENV.max_num_seqs or 8
TRIAGE_ENGINE_MAX_NUM_BATCHED_TOKENS = 512
TRIAGE_ENGINE_KV_CAPACITY_TOKENS = 16384
# The APIs (api/, v1/): the most tokens a client may ask for, and how long v1/chat/completions
# waits for a call to finish before answering 504 (the call goes on).
TRIAGE_API_MAX_TOKENS = 512
TRIAGE_API_TIMEOUT_S = 300.0

# The fleet (docs/ARCHITECTURE.md, "The fleet"): calls are rated here, then wait in RabbitMQ
# priority queues ordered by the semantic key (scheduling.broker_key). Levels up to
# TRIAGE_FLEET_URGENT_MAX_LEVEL go to their own queue. Each worker holds at most its seats plus
# TRIAGE_FLEET_MARGIN routine calls (a per-consumer prefetch), and TRIAGE_FLEET_URGENT_RESERVE more
# for urgent ones, so an urgent call reaching a busy fleet is taken at once and displaces a routine one.
# (Each queue's consumer holds at most seats + margin; the pool, seats + margin + urgent reserve.)
TRIAGE_FLEET_QUEUE = "gpu"
TRIAGE_FLEET_URGENT_QUEUE = "gpu.urgent"
TRIAGE_FLEET_URGENT_MAX_LEVEL = 1
TRIAGE_FLEET_MARGIN = 2 if ENV.fleet_margin is None else ENV.fleet_margin
TRIAGE_FLEET_URGENT_RESERVE = 2 if ENV.fleet_urgent_reserve is None else ENV.fleet_urgent_reserve
"""Calls a worker holds beyond seats + margin, room kept for urgent ones (simulated trade-off:
docs/BENCHMARKS.md, "Routers")."""
TRIAGE_FLEET_ORDER = ENV.fleet_order or "semantic"
"""``fifo`` reproduces the fleet before semantic order (one first-in first-out queue, workers
holding as many calls as they have threads): the baseline of bench/fleet_bench.py."""
TRIAGE_FLEET_HEARTBEAT_S = 2.0
"""Engines write a heartbeat this often."""
TRIAGE_FLEET_ENGINE_SILENCE_S = 5 * TRIAGE_FLEET_HEARTBEAT_S
"""An engine silent this long is presumed dead: its calls are taken over, the dashboard warns."""

CELERY_TASK_ALWAYS_EAGER = ENV.broker_url is None  # no broker: tasks run inline at .delay()
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = ENV.broker_url or "memory://"
CELERY_RESULT_BACKEND = None  # results live on the Call rows
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits out a broker restart, however long
# AMQP heartbeats every 10 s: a connection a broker restart left half-open is found dead within
# about 20 s and re-opened. With the default (120 s) a worker in tests/site/test_fleet.py took no
# call for over 3 minutes after a restart while its peer, which had seen the reset, took them all.
CELERY_BROKER_HEARTBEAT = 10
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_CREATE_MISSING_QUEUES = False
CELERY_TASK_DEFAULT_QUEUE = TRIAGE_FLEET_QUEUE
CELERY_TASK_QUEUES = tuple(  # durable RabbitMQ priority queues; messages persist across restarts
    Queue(name, routing_key=name, queue_arguments={"x-max-priority": MAX_BROKER_PRIORITY})
    for name in (TRIAGE_FLEET_URGENT_QUEUE, TRIAGE_FLEET_QUEUE))
CELERY_IMPORTS = ("triage_site.fleet_worker",)
CELERY_WORKER_POOL = "threads"  # each call's task waits on a thread while the engine serves it
CELERY_WORKER_CONCURRENCY = TRIAGE_ENGINE_MAX_NUM_SEQS + TRIAGE_FLEET_MARGIN + TRIAGE_FLEET_URGENT_RESERVE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True  # acknowledged after the response is stored
CELERY_TASK_REJECT_ON_WORKER_LOST = True

# Urgency classifier: "encoder" (fine-tuned MiniLM, built by `manage.py train_triage`) or
# "prompted" (a local causal LM scoring the five labels). Models live outside git.
TRIAGE_CLASSIFIER = ENV.triage_classifier or "encoder"
MODELS_DIR = Path(ENV.models_dir) if ENV.models_dir else BASE_DIR / "models"
TRIAGE_ENCODER_DIR = MODELS_DIR / "triage" / "minilm"
TRIAGE_LM_DIR = MODELS_DIR / "smollm2-135m-instruct"
TRIAGE_CORPUS_DIR = BASE_DIR / "inference" / "data" / "triage_corpus"
# Output-length predictor: "learned" (a ridge head on MiniLM embeddings, trained by `manage.py
# train_length` on the response LM's real reply lengths) or "level-baseline" (one hand-set length
# per level, the product's predictor before the response model existed); env TRIAGE_LENGTH_PREDICTOR.
TRIAGE_LENGTH_PREDICTOR = ENV.length_predictor or "learned"
TRIAGE_LENGTH_DIR = MODELS_DIR / "length"

# Call text is patient data and must never be logged: log messages carry ids
# (call id, request id, user id) and numbers only. SQL logging stays off because
# query parameters would include the text.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "ids_only": {
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
        },
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "ids_only",
        },
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Security (README, "Security") ----------------------------------------------------------------
# Login lockout (django-axes): AXES_FAILURE_LIMIT wrong passwords in a row for one username from
# one address lock that pair out for AXES_COOLOFF_TIME (a 429 page); a successful login resets
# the count. The admin and the dispatcher login share it.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks: it answers a lockout
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# API tokens: the default lifetime of a new one (None: never expires), and how many failed
# authentications one client address may make per window before every API request from it is a
# 429 (django-ratelimit's rate syntax). The counts live in the cache: Redis when REDIS_URL is set,
# so every web process shares them. If the cache fails, requests go through (emergency calls first).
TRIAGE_API_TOKEN_DEFAULT_DAYS: int | None = 90
TRIAGE_API_AUTH_FAILURE_RATE = "20/m"
RATELIMIT_FAIL_OPEN = True
if ENV.redis_url is not None:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": ENV.redis_url, "KEY_PREFIX": "triage"}}
# Error pages and reports never show POST values, local variables or credentials
# (triage_site/error_reports.py); log records never carry tokens or messages that quote call
# text (triage_site/log_redaction.py): the filter sits on the console handler, and on the
# library loggers that log such records themselves (django-ninja logs to "django", Django its
# 500s to "django.request"; a logger's filter sees only its own records, not its children's),
# so every handler sees those redacted too. Our own code logs ids, and tracebacks redacted.
DEFAULT_EXCEPTION_REPORTER_FILTER = "triage_site.error_reports.PatientDataReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "triage_site.error_reports.PatientDataExceptionReporter"
LOGGING["filters"] = {"redact_secrets": {"()": "triage_site.log_redaction.RedactSecrets"}}
LOGGING["handlers"]["stderr"]["filters"] = ["redact_secrets"]
for _logger in ("django", "django.request", "django.security"):
    LOGGING["loggers"].setdefault(_logger, {})["filters"] = ["redact_secrets"]
