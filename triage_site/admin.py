"""Django admin for operators (staff only): calls with urgency filters and search."""

from __future__ import annotations

from django.contrib import admin

from triage_site import scenario_admin  # noqa: F401 - registers the scenario admin
from triage_site.models import Call


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("id", "received_at", "status", "predicted_priority", "priority_confidence",
                    "override_priority", "classifier", "caller_name")
    list_filter = ("status", "predicted_priority", "override_priority", "classifier")
    search_fields = ("=id", "=public_id", "caller_name", "caller_phone", "location", "text")
    date_hierarchy = "received_at"
    readonly_fields = ("public_id", "received_at", "predicted_priority", "priority_probabilities",
                       "priority_confidence", "classifier", "classified_at", "overridden_by",
                       "overridden_at", "predicted_output_tokens", "output_tokens", "response",
                       "num_preemptions", "queued_at", "started_at", "first_token_at",
                       "finished_at", "failure_reason")
    fieldsets = (
        (None, {"fields": ("public_id", "text", "caller_name", "caller_phone", "location",
                           "received_at", "status", "failure_reason")}),
        ("Urgency", {"fields": ("predicted_priority", "priority_probabilities",
                                "priority_confidence", "classifier", "classified_at",
                                "override_priority", "overridden_by", "overridden_at")}),
        ("Response", {"fields": ("predicted_output_tokens", "output_tokens", "response",
                                 "num_preemptions", "queued_at", "started_at", "first_token_at",
                                 "finished_at")}),
    )
