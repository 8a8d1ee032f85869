"""The Django project and its single app: wires the scheduler and inference engine to the web."""

from triage_site.celery import app as celery_app

__all__ = ("celery_app",)
