"""Django admin for operators (staff only): calls with urgency filters and search."""

from __future__ import annotations

from django.contrib import admin, messages

from triage_site import scenario_admin  # noqa: F401 - registers the scenario admin
from triage_site.api.tokens import api_token_create, api_token_revoke, default_expiry
from triage_site.card_admin import InstructionCardAdmin  # noqa: F401 - registers the card admin
from triage_site.models import ApiToken, Call


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
                       "finished_at", "failure_reason", "cards", "reply_passed", "reply_check_reasons",
                       "shown_text")
    fieldsets = (
        (None, {"fields": ("public_id", "text", "caller_name", "caller_phone", "location",
                           "received_at", "status", "failure_reason")}),
        ("Urgency", {"fields": ("predicted_priority", "priority_probabilities",
                                "priority_confidence", "classifier", "classified_at",
                                "override_priority", "overridden_by", "overridden_at")}),
        ("Card and reply", {"fields": ("cards", "reply_passed", "reply_check_reasons", "shown_text")}),
        ("Response", {"fields": ("predicted_output_tokens", "output_tokens", "response",
                                 "num_preemptions", "queued_at", "started_at", "first_token_at",
                                 "finished_at")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Bearer tokens for the APIs. Adding one shows it once; only its SHA-256 is kept. A new token
    expires after the default lifetime unless the date is changed or cleared (never expires);
    "Revoke selected tokens" stops them at once."""

    list_display = ("name", "user", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "user__username")
    fields = ("user", "name", "key_sha256", "created_at", "last_used_at", "expires_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ("key_sha256", "created_at", "last_used_at", "revoked_at") + (("user",) if obj is not None else ())

    def get_changeform_initial_data(self, request) -> dict:
        return {**super().get_changeform_initial_data(request), "expires_at": default_expiry()}

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset) -> None:
        revoked = api_token_revoke(tokens=queryset)
        self.message_user(request, f"{revoked} token(s) revoked; they are refused from now on.", messages.SUCCESS)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = api_token_create(user=obj.user, name=obj.name, expires_at=obj.expires_at,
                                      never_expires=obj.expires_at is None)
        obj.pk, obj.key_sha256, obj.created_at = token.pk, token.key_sha256, token.created_at
        messages.warning(request, f"API token for {obj.name}: {raw} (copy it now: it is not shown again)")
