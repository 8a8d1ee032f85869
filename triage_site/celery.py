"""The Celery app; configured from Django settings prefixed CELERY_ (queues: settings/base.py)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "triage_site.settings.local")

app = Celery("triage_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A worker's own additions (engine, reservation, override command), loaded only in workers.
app.steps["consumer"].add("triage_site.fleet_worker:RoutineReservation")
