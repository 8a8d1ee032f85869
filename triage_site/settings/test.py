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

# Tasks run inline; the tests that need a real broker and worker start them (REDIS_URL set).
# With REDIS_URL the channel layer is Redis, as in deployment; without it, in memory.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_RESULT_BACKEND = None
# No generation unless a test asks for it (the engine_settings fixture): most tests are about
# calls and pages, and an engine thread per test would only slow them down.
TRIAGE_GENERATION = "off"

LOGGING["root"]["level"] = "WARNING"  # noqa: F405
