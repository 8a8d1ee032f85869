"""Admin for instruction cards (staff only): every save is a new version; the old ones stay."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from inference.cards.library import CardError, card_from_dict
from triage_site.models import InstructionCard
from triage_site.services.cards import card_save_edit


class InstructionCardForm(forms.ModelForm):
    """Steps one per line; the rest as JSON. Validated exactly as the shipped file is."""

    steps_text = forms.CharField(label="Steps", widget=forms.Textarea(attrs={"rows": 10, "cols": 100}),
                                 help_text="One step per line, in the order they are read to the caller.")

    class Meta:
        model = InstructionCard
        fields = ("card_id", "title", "steps_text", "sources", "key_actions", "forbidden", "allowed_terms",
                  "position")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["steps_text"].initial = "\n".join(self.instance.steps)
            self.fields["card_id"].disabled = True

    def clean(self) -> dict:
        data = super().clean()
        steps = [line.strip() for line in data.get("steps_text", "").splitlines() if line.strip()]
        data["steps"] = steps
        try:
            card_from_dict({"id": data.get("card_id"), "version": 1, "title": data.get("title"),
                            "steps": steps, "sources": data.get("sources"),
                            "key_actions": data.get("key_actions"), "forbidden": data.get("forbidden") or [],
                            "allowed_terms": data.get("allowed_terms") or []})
        except CardError as exc:
            raise ValidationError(str(exc)) from None
        return data


@admin.register(InstructionCard)
class InstructionCardAdmin(admin.ModelAdmin):
    form = InstructionCardForm
    list_display = ("card_id", "title", "version", "is_current", "file_version", "created_at", "created_by")
    list_filter = ("is_current", "card_id")
    search_fields = ("card_id", "title")
    readonly_fields = ("version", "is_current", "file_version", "created_at", "created_by", "sources_list")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    @admin.display(description="Sources")
    def sources_list(self, obj) -> str:
        return json.dumps(obj.sources, indent=1) if obj and obj.pk else "–"

    def save_model(self, request, obj, form, change) -> None:
        """Never overwrite a version: store the edit as the card's next version."""
        data = {key: form.cleaned_data[key] for key in
                ("title", "steps", "sources", "key_actions", "forbidden", "allowed_terms", "position")}
        row = card_save_edit(card_id=form.cleaned_data["card_id"] if not change else obj.card_id,
                             data=data, user=request.user)
        obj.pk, obj.version = row.pk, row.version
        messages.info(request, f"Stored as version {row.version} of {row.card_id}; calls from now on use it.")
