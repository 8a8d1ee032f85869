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

# Tasks run inline; the tests that need a real broker and workers start them (BROKER_URL set).
# With REDIS_URL the channel layer is Redis, as in deployment; without it, in memory.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_RESULT_BACKEND = None
# No generation unless a test asks for it (the engine_settings fixture): most tests are about
# calls and pages, and an engine thread per test would only slow them down.
TRIAGE_GENERATION = "off"

LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# Lockouts and rate limits are tested on purpose (test_login_lockout.py, test_api_token_limits.py,
# which switch them on or down); elsewhere a suite full of deliberate bad logins and tokens from
# 127.0.0.1 must not lock itself out.
AXES_ENABLED = False
TRIAGE_API_AUTH_FAILURE_RATE = "100000/m"
