"""The Celery app; tasks are configured from Django settings prefixed CELERY_."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "triage_site.settings.local")

app = Celery("triage_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import triage_site.worker  # noqa: E402,F401 - registers the worker's signal and control command
