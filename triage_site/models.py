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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The API client's user who created it; an API token without staff rights sees "
                  "only its own user's calls. Empty for calls taken on the dashboard.")
    chat_messages = models.JSONField(
        null=True, blank=True,
        help_text="An API client's own chat messages; when set, the engine answers these "
                  "instead of the dispatcher's-assistant prompt.")
    max_new_tokens = models.PositiveIntegerField(null=True, blank=True,
                                                 help_text="Cap on the response; empty: the engine's default.")

    predicted_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True,
                                                help_text="The prompt as the engine tokenised it.")
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=16, blank=True,
                                     help_text="Why generation stopped: eos (the model ended) or length (the cap).")
    response = models.TextField(blank=True)
    num_preemptions = models.PositiveIntegerField(default=0)
    cards = models.JSONField(
        default=list, blank=True,
        help_text="The instruction cards chosen at intake, most time-critical first: "
                  "[{id, version, title}]; the first is the one the engine's prompt carries.")
    reply_passed = models.BooleanField(
        null=True, blank=True,
        help_text="Did the LM's reply pass the checker (rules over the text)? Empty until it is written.")
    reply_check_reasons = models.JSONField(default=list, blank=True,
                                           help_text="Why the reply failed the checker, if it did.")
    shown_text = models.TextField(
        blank=True, help_text="What the dispatcher is shown: the checked reply, or the card when the "
                              "reply failed. `response` keeps the LM's raw text for audit.")

    dispatch_number = models.PositiveIntegerField(
        default=0, help_text="Bumped each time the call is sent to the broker; a message carrying an "
                             "older number was superseded (an override re-ranked the call) and does nothing.")
    dispatched_at = models.DateTimeField(null=True, blank=True,
                                         help_text="Last handed to the broker (fleet generation).")
    engine_worker = models.CharField(max_length=200, blank=True,
                                     help_text="The engine (host:pid) that holds or last held the call.")
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


class InstructionCard(models.Model):
    """One version of a pre-arrival instruction card. Every edit (``manage.py load_cards`` from
    ``inference/cards/cards.yaml``, or a staff edit in the admin) adds a row with the next version and
    makes it the current one; calls record the (card, version) they used, so history is kept."""

    card_id = models.SlugField(max_length=64, help_text="The card's id, e.g. cardiac_arrest.")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    steps = models.JSONField(help_text="The steps read to the caller, in order (a list of strings).")
    sources = models.JSONField(help_text="[{organisation, url}] of the public guidance the steps follow.")
    key_actions = models.JSONField(help_text="[{name, patterns}]: what a reply must keep (regexes).")
    forbidden = models.JSONField(default=list, blank=True,
                                 help_text="[{pattern, why}]: what contradicts the card (regexes).")
    allowed_terms = models.JSONField(default=list, blank=True,
                                     help_text="Words a reply may use beyond the steps' own.")
    position = models.PositiveIntegerField(
        default=1000, help_text="Order among cards: when a call needs two, the lower comes first.")
    is_current = models.BooleanField(default=True)
    file_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The cards.yaml version this row was loaded from; empty: a staff edit.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "card_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["card_id", "version"], name="card_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def as_card(self):
        """The pure-Python card (``inference.cards.library.Card``) the checker and prompt use."""
        from inference.cards.library import card_from_dict

        return card_from_dict({"id": self.card_id, "version": self.version, "title": self.title,
                               "steps": self.steps, "sources": self.sources,
                               "key_actions": self.key_actions, "forbidden": self.forbidden,
                               "allowed_terms": self.allowed_terms})


class EngineWorker(models.Model):
    """An engine's heartbeat: which engines are alive, and what each holds (the fleet panel)."""

    name = models.CharField(max_length=200, unique=True, help_text="host:pid of the engine's process.")
    last_seen_at = models.DateTimeField()
    num_seats = models.PositiveIntegerField(help_text="The engine's batch size (max_num_seqs).")
    waiting_per_level = models.JSONField(default=list)
    running_per_level = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"engine {self.name}"


class ApiToken(models.Model):
    """A bearer token for the JSON and OpenAI-compatible APIs. Only its SHA-256 is stored:
    the token itself is shown once, when it is made (``manage.py create_api_token``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the client's name.")
    key_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True,
                                      help_text="Refused from this time on; empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True,
                                      help_text="Refused from this time on (the admin's revoke action, "
                                                "or manage.py revoke_api_token).")

    def __str__(self) -> str:
        return f"API token {self.name} ({self.user})"

    def is_usable(self, now) -> bool:
        """Neither revoked nor expired at ``now`` (the user's own state is checked separately)."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


# --- Scenarios: scripted call traffic for the real engine or the simulator --------------------

MAX_SCENARIO_CALLS = 100_000
"""Upper bound on a scenario's ``max_calls``: a simulator run of this size takes seconds."""


def policy_choices() -> list[tuple[str, str]]:
    from scheduling.policies import policy_names

    return [(name, name) for name in policy_names()]


def setting_choices() -> list[tuple[str, str]]:
    from scheduling.hardware import builtin_setting_names

    return [(name, name) for name in builtin_setting_names()]


class ArrivalProcess(models.TextChoices):
    POISSON = "poisson", "Poisson (random arrivals at a rate)"
    BURSTS = "bursts", "Bursts (a fixed number of calls at once, at regular gaps)"


class TextSource(models.TextChoices):
    CORPUS = "corpus", "Labelled corpus (test split)"
    GENERATED = "generated", "Generated from the corpus templates"


class ScenarioTarget(models.TextChoices):
    ENGINE = "engine", "Real engine"
    SIMULATOR = "simulator", "Simulator"


class Scenario(models.Model):
    """A scripted stream of calls: when they arrive, how urgent, which texts, and where they go.

    Exactly one of ``duration_s`` and ``num_calls`` ends the arrivals; ``max_calls`` caps them.
    ``clean()`` names the field of every problem.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    arrival_process = models.CharField(max_length=16, choices=ArrivalProcess.choices,
                                       default=ArrivalProcess.POISSON)
    rate_per_min = models.FloatField(null=True, blank=True,
                                     help_text="Poisson: mean calls per minute.")
    burst_size = models.PositiveIntegerField(null=True, blank=True, help_text="Bursts: calls per burst.")
    burst_gap_s = models.FloatField(null=True, blank=True,
                                    help_text="Bursts: seconds from one burst to the next.")
    duration_s = models.FloatField(null=True, blank=True,
                                   help_text="Seconds of arrivals (or give a number of calls).")
    num_calls = models.PositiveIntegerField(null=True, blank=True,
                                            help_text="Number of calls (or give a duration).")
    weight_p0 = models.FloatField("P0 immediate weight", default=1.0)
    weight_p1 = models.FloatField("P1 emergent weight", default=1.0)
    weight_p2 = models.FloatField("P2 urgent weight", default=1.0)
    weight_p3 = models.FloatField("P3 less urgent weight", default=1.0)
    weight_p4 = models.FloatField("P4 non-urgent weight", default=1.0)
    text_source = models.CharField(max_length=16, choices=TextSource.choices, default=TextSource.CORPUS)
    policy = models.CharField(max_length=32, choices=policy_choices, default="semantic",
                              help_text="The simulator's policy. The real engine always runs its "
                                        "own (TRIAGE_ENGINE_POLICY); a run records any difference.")
    compare_with = models.CharField(
        max_length=200, blank=True,
        help_text="Simulator: other policies to run on the same calls, comma-separated "
                  "(e.g. fcfs,pjf), shown side by side with the scenario's policy.")
    target = models.CharField(max_length=16, choices=ScenarioTarget.choices,
                              default=ScenarioTarget.SIMULATOR)
    setting = models.CharField("hardware setting", max_length=64, choices=setting_choices, blank=True,
                               help_text="Simulator: the built-in GPU + model setting.")
    seed = models.IntegerField(default=0)
    max_calls = models.PositiveIntegerField(default=1000,
                                            help_text=f"Cap on calls per run (at most {MAX_SCENARIO_CALLS}).")
    created_at = models.DateTimeField(auto_now_add=True)

    WEIGHT_FIELDS = ("weight_p0", "weight_p1", "weight_p2", "weight_p3", "weight_p4")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def urgency_mix(self) -> tuple[float, ...]:
        """Weights of levels 0..4 (not normalised)."""
        return tuple(getattr(self, name) for name in self.WEIGHT_FIELDS)

    @property
    def compared_policies(self) -> list[str]:
        """``compare_with`` as names, in order, without the scenario's own policy or repeats."""
        names = [name.strip() for name in self.compare_with.split(",") if name.strip()]
        return [name for i, name in enumerate(names) if name != self.policy and name not in names[:i]]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = _scenario_errors(self)
        if errors:
            raise ValidationError(errors)


class ScenarioRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ScenarioRun(models.Model):
    """One run of a scenario. Its calls are listed in ``calls`` (JSON, not a foreign key on
    Call): ``[{"call_id", "level", "arrival_s"}, ...]`` in arrival order, ``level`` being the
    text's corpus label. A simulator run creates no calls and stores ``results`` instead, the
    figures of ``simulate --json``."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    target = models.CharField(max_length=16, choices=ScenarioTarget.choices)
    setting = models.CharField("hardware setting", max_length=64, blank=True)
    policy = models.CharField(max_length=32, help_text="The policy that actually scheduled the calls.")
    speed = models.FloatField(default=1.0, help_text="Engine runs: arrivals sped up by this factor.")
    status = models.CharField(max_length=16, choices=ScenarioRunStatus.choices,
                              default=ScenarioRunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    num_calls = models.PositiveIntegerField(default=0)
    calls = models.JSONField(default=list, blank=True)
    results = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="What an operator should know, e.g. a policy difference.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.scenario}"

    @property
    def call_ids(self) -> list[int]:
        return [entry["call_id"] for entry in self.calls]


def _scenario_errors(scenario: Scenario) -> dict[str, str]:
    """Problems by field name: what the arrival process needs, a usable mix, a known setting."""
    import math

    from scheduling.hardware import builtin_setting_names
    from scheduling.policies import policy_names

    errors: dict[str, str] = {}

    def positive(name: str, value: float | int | None, what: str) -> None:
        if value is None:
            errors[name] = f"{what} is required for {scenario.get_arrival_process_display()} arrivals."
        elif not (0 < value < math.inf):
            errors[name] = f"{what} must be a number > 0, got {value!r}."

    if scenario.arrival_process == ArrivalProcess.POISSON:
        positive("rate_per_min", scenario.rate_per_min, "A rate (calls per minute)")
    elif scenario.arrival_process == ArrivalProcess.BURSTS:
        positive("burst_size", scenario.burst_size, "A burst size")
        positive("burst_gap_s", scenario.burst_gap_s, "A gap between bursts (seconds)")
    if scenario.duration_s is None and scenario.num_calls is None:
        errors["duration_s"] = "Give a duration in seconds or a number of calls."
    elif scenario.duration_s is not None and scenario.num_calls is not None:
        errors["duration_s"] = "Give a duration or a number of calls, not both."
    elif scenario.duration_s is not None and not 0 < scenario.duration_s < math.inf:
        errors["duration_s"] = f"The duration must be a number of seconds > 0, got {scenario.duration_s!r}."
    elif scenario.num_calls is not None and scenario.num_calls < 1:
        errors["num_calls"] = "The number of calls must be at least 1."
    for name in Scenario.WEIGHT_FIELDS:
        value = getattr(scenario, name)
        if value is None or not 0 <= value < math.inf:
            errors[name] = f"An urgency weight must be a finite number >= 0, got {value!r}."
    if not any(name in errors for name in Scenario.WEIGHT_FIELDS) and sum(scenario.urgency_mix) <= 0:
        errors["weight_p0"] = "The urgency weights must not all be zero."
    if scenario.policy not in policy_names():
        errors["policy"] = f"Unknown policy {scenario.policy!r}; choose from {', '.join(policy_names())}."
    unknown = [name for name in scenario.compared_policies if name not in policy_names()]
    if unknown:
        errors["compare_with"] = (f"Unknown polic{'ies' if len(unknown) > 1 else 'y'} {', '.join(map(repr, unknown))}; "
                                  f"choose from {', '.join(policy_names())}.")
    if scenario.target == ScenarioTarget.SIMULATOR and not scenario.setting:
        errors["setting"] = "The simulator needs a hardware setting."
    elif scenario.setting and scenario.setting not in builtin_setting_names():
        errors["setting"] = (f"Unknown hardware setting {scenario.setting!r}; "
                             f"built-in settings: {', '.join(builtin_setting_names())}.")
    if scenario.max_calls is None or not 1 <= scenario.max_calls <= MAX_SCENARIO_CALLS:
        errors["max_calls"] = f"The cap must be in 1..{MAX_SCENARIO_CALLS}, got {scenario.max_calls!r}."
    return errors
