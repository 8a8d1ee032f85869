"""Reads for pages and the live socket: the calls a dispatcher sees. Writes live in services."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from triage_site import live
from triage_site.generation import get_generation_backend
from triage_site.models import Call, CallStatus

RECENT_CALLS = 50
"""How many calls the dashboard lists (and sends in its snapshot after a reload)."""


def calls_recent(*, limit: int = RECENT_CALLS) -> list[Call]:
    """The newest calls first (received time, then id, as the model orders them)."""
    return list(Call.objects.order_by("-received_at", "-id")[:limit])


def call_get(*, call_id: int) -> Call:
    """One call with the dispatcher who overrode it; raises ``Call.DoesNotExist``."""
    return Call.objects.select_related("overridden_by").get(pk=call_id)


MAX_LISTED_IN_BROKER = 10_000


def calls_in_broker(*, limit: int = MAX_LISTED_IN_BROKER) -> list[list[int]]:
    """[call id, urgency] of each rated call no engine has taken yet (with the fleet: the calls
    waiting in the broker); live call events keep the dashboard's count right afterwards."""
    calls = Call.objects.filter(status=CallStatus.CLASSIFIED).order_by("received_at")
    return [[call.pk, call.priority] for call in calls.only("pk", "predicted_priority", "override_priority")[:limit]]


def calls_in_engines(*, limit: int = MAX_LISTED_IN_BROKER) -> list[list]:
    """[call id, urgency, status] of each call an engine holds (queued or generating): the queue
    panel counts these until the engines' own reports arrive."""
    calls = Call.objects.filter(status__in=(CallStatus.QUEUED, CallStatus.GENERATING)).order_by("received_at")
    return [[call.pk, call.priority, call.status]
            for call in calls.only("pk", "status", "predicted_priority", "override_priority")[:limit]]


HISTORY_WINDOW_S = 600
HISTORY_STEP_S = 10


def dashboard_history(*, window_s: int = HISTORY_WINDOW_S, step_s: int = HISTORY_STEP_S) -> dict[str, Any]:
    """The waiting and throughput charts' recent past, rebuilt from the calls' own times, so a
    reload does not start them empty: per step, calls waiting per urgency (received, not yet
    started) and output tokens per second per engine (each call's tokens spread over its run)."""
    from datetime import timedelta

    now = timezone.now()
    start = now - timedelta(seconds=window_s)
    from django.db.models import Q

    recent = Q(finished_at__isnull=True) | Q(finished_at__gte=start)
    calls = list(Call.objects.filter(recent, received_at__lte=now).exclude(status=CallStatus.FAILED).only("received_at", "started_at", "finished_at", "status",
                                                     "predicted_priority", "override_priority",
                                                     "output_tokens", "engine_worker"))
    times = [start + timedelta(seconds=step_s * i) for i in range(window_s // step_s + 1)]
    waiting = [[0] * len(times) for _ in range(5)]
    tokens: dict[str, list[float]] = {}
    for call in calls:
        if call.priority is not None and call.status != CallStatus.FAILED:
            ends = call.started_at or (now if call.status != CallStatus.DONE else call.received_at)
            for i, at in enumerate(times):
                if call.received_at <= at < ends:
                    waiting[call.priority][i] += 1
        if call.output_tokens and call.started_at and call.finished_at and call.engine_worker:
            run_s = max((call.finished_at - call.started_at).total_seconds(), 1e-3)
            rate = tokens.setdefault(call.engine_worker, [0.0] * len(times))
            for i, at in enumerate(times):
                bucket_end = at + timedelta(seconds=step_s)
                overlap = (min(bucket_end, call.finished_at) - max(at, call.started_at)).total_seconds()
                if overlap > 0:
                    rate[i] += call.output_tokens * overlap / run_s / step_s
    return {"times": [at.isoformat() for at in times], "waiting": waiting,
            "tokens_per_s": {worker: [round(v, 1) for v in rate] for worker, rate in tokens.items()}}


def dashboard_snapshot(*, limit: int = RECENT_CALLS) -> dict[str, Any]:
    """What a dashboard socket gets on connect: the recent calls as the live events show them, the
    calls still waiting for an engine, and the server's clock (waiting times tick in the browser,
    whose clock may differ)."""
    return {"kind": "snapshot", "server_time": timezone.now().isoformat(),
            "calls": [live.call_summary(call) for call in calls_recent(limit=limit)],
            "in_broker": calls_in_broker(),
            "in_engines": calls_in_engines(),
            "history": dashboard_history(),
            "status": get_generation_backend().service_status()}


def call_snapshot(*, call_id: int) -> dict[str, Any]:
    """What a call page's socket gets on connect: the call and its stored response in full."""
    call = call_get(call_id=call_id)
    return {"kind": "snapshot", "server_time": timezone.now().isoformat(),
            "calls": [live.call_summary(call)], "response": call.response, "shown": call.shown_text}
