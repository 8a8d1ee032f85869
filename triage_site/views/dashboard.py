"""The dispatcher dashboard: the page (its live parts arrive over the socket) and call intake."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from inference.levels import LEVELS
from triage_site.forms import CallIntakeForm
from triage_site.models import Call
from triage_site.permissions import dispatcher_required
from triage_site.routing import DASHBOARD_SOCKET_PATH
from triage_site.services.calls import call_create

WORKER_ACTIVE_S = 10
"""A worker counts as active while its engine events are younger than this (engines report
only while they generate)."""


@dispatcher_required
@require_http_methods(["GET", "POST"])
def dashboard(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST: take a call (``Accept: application/json`` answers in JSON, which the
    page's script uses so the live views are not reloaded; a plain form post redirects)."""
    form = CallIntakeForm(request.POST or None)
    if request.method == "POST":
        call = _take_call(form)
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        if call is not None:
            if wants_json:
                return JsonResponse({"id": call.pk, "url": reverse("call_detail", args=[call.pk])},
                                    status=201)
            messages.success(request, f"Call {call.pk} received.")
            return redirect("dashboard")
        if wants_json:
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    return render(request, "dashboard/index.html", {
        "form": form,
        "levels": LEVELS,
        "config": {
            "socketPath": DASHBOARD_SOCKET_PATH,
            "levels": [{"value": lv.value, "label": lv.label, "colour": lv.colour} for lv in LEVELS],
            "workerActiveS": WORKER_ACTIVE_S,
        },
        "generation": settings.TRIAGE_GENERATION,
        "configured_policy": settings.TRIAGE_ENGINE_POLICY,
        # Shown until an engine reports its own (a fleet's workers may differ).
        "configured_model": Path(settings.TRIAGE_LM_DIR).name,
        "configured_device": settings.TRIAGE_ENGINE_DEVICE or "CUDA if available, else CPU",
    })


def _take_call(form: CallIntakeForm) -> Call | None:
    """The created call, or None with the problems added to ``form`` (by field)."""
    if not form.is_valid():
        return None
    try:
        return call_create(**form.cleaned_data)
    except ValidationError as exc:  # the service's own checks (e.g. a transcript of spaces)
        form.add_error(None, exc)
        return None
