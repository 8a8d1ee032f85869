"""App config: the project package is also its one Django app."""

from __future__ import annotations

from django.apps import AppConfig


class TriageSiteConfig(AppConfig):
    name = "triage_site"
    verbose_name = "Emergency triage"
    default_auto_field = "django.db.models.BigAutoField"
