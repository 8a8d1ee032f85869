"""Liveness probe for load balancers and CI; public and free of data."""

from __future__ import annotations

import sys

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """{"status": "ok"} while the process can serve calls; 503 {"status": "engine stopped"} when
    this process's engine stopped (the next call starts it again over the loaded model)."""
    engine_host = sys.modules.get("triage_site.engine_host")  # never imported: no engine here (and
    engine = engine_host.engine_health() if engine_host else {"running": None}  # no torch import)
    if engine["running"] is False:
        return JsonResponse({"status": "engine stopped", "engine_restarts": engine["restarts"]}, status=503)
    return JsonResponse({"status": "ok"})
