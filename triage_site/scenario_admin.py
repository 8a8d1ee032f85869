"""Admin for scenarios (staff only): edit them, run the selected ones, read their runs' results."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from triage_site.models import Scenario, ScenarioRun, ScenarioTarget
from triage_site.services.scenarios import scenario_run_in_background
from triage_site.views.scenarios import run_page_context


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ("name", "target", "setting", "policy", "arrival_process", "text_source", "last_run")
    list_filter = ("target", "arrival_process", "text_source", "policy")
    search_fields = ("name", "description")
    actions = ["run_selected"]
    fieldsets = (
        (None, {"fields": ("name", "description", "target", "setting", "policy", "compare_with", "seed",
                           "max_calls")}),
        ("Arrivals", {"fields": ("arrival_process", "rate_per_min", "burst_size", "burst_gap_s",
                                 "duration_s", "num_calls")}),
        ("Calls", {"fields": ("text_source", *Scenario.WEIGHT_FIELDS),
                   "description": "Relative weights of the five urgency levels (any scale, "
                                  "not all zero)."}),
    )

    @admin.display(description="last run")
    def last_run(self, scenario: Scenario) -> str:
        run = scenario.runs.order_by("-started_at", "-id").first()
        if run is None:
            return "-"
        return format_html('<a href="{}">#{} {}</a>', reverse("scenario_run_detail", args=[run.pk]),
                           run.pk, run.get_status_display())

    @admin.action(description="Run selected scenarios", permissions=["change"])
    def run_selected(self, request, queryset) -> None:
        """Each run goes to a background thread; the page returns at once with the runs listed."""
        for scenario in queryset:
            try:
                run = scenario_run_in_background(scenario_id=scenario.pk)
            except ValidationError as exc:
                problems = "; ".join(f"{field}: {' '.join(errors)}"
                                     for field, errors in exc.message_dict.items())
                self.message_user(request, f"{scenario.name}: not started ({problems})", messages.ERROR)
                continue
            where = (f"the simulator ({run.setting})" if run.target == ScenarioTarget.SIMULATOR
                     else "the real engine")
            self.message_user(request, format_html(
                '{}: run <a href="{}">#{}</a> started on {}.', scenario.name,
                reverse("scenario_run_detail", args=[run.pk]), run.pk, where), messages.SUCCESS)


@admin.register(ScenarioRun)
class ScenarioRunAdmin(admin.ModelAdmin):
    """Read-only: runs are made by running a scenario. The change page shows the results."""

    list_display = ("id", "scenario", "target", "setting", "policy", "status", "num_calls",
                    "started_at", "finished_at", "results_page")
    list_filter = ("status", "target", "setting", "policy")
    search_fields = ("=id", "scenario__name")
    date_hierarchy = "started_at"
    change_form_template = "scenarios/admin_run_change_form.html"
    fields = ("scenario", "target", "setting", "policy", "speed", "status", "started_at",
              "finished_at", "num_calls", "note", "error", "results_page")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="results")
    def results_page(self, run: ScenarioRun) -> str:
        return format_html('<a href="{}">results page</a>', reverse("scenario_run_detail", args=[run.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is not None:
            extra_context = {**(extra_context or {}), **run_page_context(run)}
        return super().change_view(request, object_id, form_url, extra_context)
