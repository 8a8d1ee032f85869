"""Scenario pages, under ``scenarios/`` (staff only)."""

from __future__ import annotations

from django.urls import path

from triage_site.views.scenarios import scenario_run_detail, scenario_run_list

urlpatterns = [
    path("runs/", scenario_run_list, name="scenario_run_list"),
    path("runs/<int:run_id>/", scenario_run_detail, name="scenario_run_detail"),
]
