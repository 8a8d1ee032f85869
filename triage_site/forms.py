"""Dispatcher forms: they parse input; the services validate it again and do the writing."""

from __future__ import annotations

from django import forms

from inference.levels import LEVEL_CHOICES
from inference.triage.base import MAX_CALL_TEXT_CHARS
from triage_site.models import Call


def _max_length(field_name: str) -> int:
    return Call._meta.get_field(field_name).max_length


class CallIntakeForm(forms.Form):
    """A call as a dispatcher types it in: the transcript and, if known, who and where."""

    text = forms.CharField(label="Transcript", max_length=MAX_CALL_TEXT_CHARS,
                           widget=forms.Textarea(attrs={"rows": 4, "placeholder": "What the caller said"}))
    caller_name = forms.CharField(label="Caller name", required=False, max_length=_max_length("caller_name"))
    caller_phone = forms.CharField(label="Phone", required=False, max_length=_max_length("caller_phone"))
    location = forms.CharField(label="Location", required=False, max_length=_max_length("location"))


class OverridePriorityForm(forms.Form):
    """A dispatcher's urgency for a call; the empty choice goes back to the model's rating."""

    priority = forms.TypedChoiceField(
        label="Urgency", coerce=int, empty_value=None, required=False,
        choices=[("", "Model's rating (no override)"), *LEVEL_CHOICES])
