"""Settings shared by every environment; the environment is read once, here.

Backends follow the environment: DATABASE_URL (dj-database-url) replaces the
SQLite file under var/, and REDIS_URL switches Celery from eager in-process
execution to a Redis broker and the channel layer from in-memory to Redis.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

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
    or {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}
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

# Where calls are generated: "in-process" (the embedded default: an engine thread in the web
# process), "celery" (GPU workers: `celery -A triage_site worker -Q gpu`), or "off" (classify only).
TRIAGE_GENERATION = "in-process" if ENV.redis_url is None else "celery"
TRIAGE_ENGINE_POLICY = ENV.engine_policy or "semantic"
TRIAGE_ENGINE_DEVICE = ENV.engine_device  # None: CUDA when available, else CPU
TRIAGE_ENGINE_MAX_NEW_TOKENS = 96
TRIAGE_ENGINE_MAX_NUM_SEQS = 8
TRIAGE_ENGINE_MAX_NUM_BATCHED_TOKENS = 512
TRIAGE_ENGINE_KV_CAPACITY_TOKENS = 16384
# The APIs (api/, v1/): the most tokens a client may ask for, and how long v1/chat/completions
# waits for a call to finish before answering 504 (the call goes on).
TRIAGE_API_MAX_TOKENS = 512
TRIAGE_API_TIMEOUT_S = 300.0

# Without Redis, tasks run inline at .delay() so a bare checkout works end to end.
CELERY_TASK_ALWAYS_EAGER = ENV.redis_url is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = ENV.redis_url or "memory://"
CELERY_RESULT_BACKEND = ENV.redis_url
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A GPU worker is one process with one engine; each call's task waits on a thread while the
# engine's policy decides the order, so a worker holds up to CONCURRENCY calls for the policy to
# choose from. A message is acknowledged only after its result is stored; if the worker dies,
# Redis hands it out again after the visibility timeout (set it above the longest wait).
CELERY_TASK_ROUTES = {"triage_site.tasks.process_call": {"queue": "gpu"}}
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = 64
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": ENV.redeliver_after_s or 3600}

# Urgency classifier: "encoder" (fine-tuned MiniLM, built by `manage.py train_triage`) or
# "prompted" (a local causal LM scoring the five labels). Models live outside git.
TRIAGE_CLASSIFIER = ENV.triage_classifier or "encoder"
MODELS_DIR = Path(ENV.models_dir) if ENV.models_dir else BASE_DIR / "models"
TRIAGE_ENCODER_DIR = MODELS_DIR / "triage" / "minilm"
TRIAGE_LM_DIR = MODELS_DIR / "smollm2-135m-instruct"
TRIAGE_CORPUS_DIR = BASE_DIR / "inference" / "data" / "triage_corpus"

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
