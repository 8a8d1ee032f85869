"""pytest settings: in-memory SQLite unless DATABASE_URL is set; no Redis, no slow hashing."""

from __future__ import annotations

from triage_site.settings.base import *  # noqa: F403
from triage_site.settings.base import ENV

SECRET_KEY = "django-insecure-test-only"
DEBUG = False

if ENV.database is None:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests never need a running Redis, even when REDIS_URL is exported.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}

LOGGING["root"]["level"] = "WARNING"  # noqa: F405
