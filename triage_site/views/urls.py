"""Dispatcher pages: the dashboard at the site root and one page per call."""

from __future__ import annotations

from django.urls import path

from triage_site.views.calls import call_detail, call_override
from triage_site.views.dashboard import dashboard

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("calls/<int:call_id>/", call_detail, name="call_detail"),
    path("calls/<int:call_id>/override/", call_override, name="call_override"),
]
