"""Development settings: the manage.py default. DEBUG is on unless DJANGO_DEBUG says otherwise."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from triage_site.settings.base import *  # noqa: F403
from triage_site.settings.base import ENV

DEBUG = True if ENV.debug is None else ENV.debug

if ENV.secret_key is not None:
    SECRET_KEY = ENV.secret_key
elif DEBUG:
    SECRET_KEY = "django-insecure-local-development-only"
else:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
