"""Liveness probe for load balancers and CI; public and free of data."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Return {"status": "ok"} whenever the process can serve a request."""
    return JsonResponse({"status": "ok"})
