"""Database models: an incoming medical call and everything that happens to it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from inference.levels import LEVEL_CHOICES


class CallStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    CLASSIFIED = "classified", "Classified"
    QUEUED = "queued", "Queued"
    GENERATING = "generating", "Generating"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class CallSource(models.TextChoices):
    DISPATCH = "dispatch", "Dispatcher"
    API = "api", "API"
    SCENARIO = "scenario", "Scenario"


class Call(models.Model):
    """One call: transcript, urgency (model and dispatcher kept apart), response and timings."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text = models.TextField(help_text="Transcript of the call. Patient data: never logged.")
    caller_name = models.CharField(max_length=200, blank=True)
    caller_phone = models.CharField(max_length=40, blank=True)
    location = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    status = models.CharField(max_length=16, choices=CallStatus.choices, default=CallStatus.RECEIVED)
    failure_reason = models.TextField(blank=True)

    predicted_priority = models.PositiveSmallIntegerField(null=True, blank=True, choices=LEVEL_CHOICES)
    priority_probabilities = models.JSONField(null=True, blank=True,
                                              help_text="Model probability of levels 0..4.")
    priority_confidence = models.FloatField(null=True, blank=True)
    classifier = models.CharField(max_length=200, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)

    override_priority = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=LEVEL_CHOICES,
        help_text="A dispatcher's decision; the model's rating is kept as it was.")
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    overridden_at = models.DateTimeField(null=True, blank=True)

    source = models.CharField(max_length=16, choices=CallSource.choices, default=CallSource.DISPATCH)
    chat_messages = models.JSONField(
        null=True, blank=True,
        help_text="An API client's own chat messages; when set, the engine answers these "
                  "instead of the dispatcher's-assistant prompt.")
    max_new_tokens = models.PositiveIntegerField(null=True, blank=True,
                                                 help_text="Cap on the response; empty: the engine's default.")

    predicted_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    num_preemptions = models.PositiveIntegerField(default=0)

    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="First scheduled by the engine.")
    first_token_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["-received_at"], name="call_received_desc"),
            models.Index(fields=["status", "-received_at"], name="call_status_received"),
            models.Index(fields=["predicted_priority", "status"], name="call_priority_status"),
        ]

    def __str__(self) -> str:
        return f"Call {self.pk}"  # never the text: str() ends up in logs and admin history

    @property
    def priority(self) -> int | None:
        """The urgency to act on: the dispatcher's override if any, else the model's."""
        return self.override_priority if self.override_priority is not None else self.predicted_priority

    @property
    def queueing_delay_s(self) -> float | None:
        return _seconds_between(self.received_at, self.started_at)

    @property
    def ttft_s(self) -> float | None:
        return _seconds_between(self.received_at, self.first_token_at)

    @property
    def latency_s(self) -> float | None:
        return _seconds_between(self.received_at, self.finished_at)


def _seconds_between(start, end) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


class ApiToken(models.Model):
    """A bearer token for the JSON and OpenAI-compatible APIs. Only its SHA-256 is stored:
    the token itself is shown once, when it is made (``manage.py create_api_token``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the client's name.")
    key_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token {self.name} ({self.user})"
