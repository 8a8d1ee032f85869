"""Failed API authentications per client address: after too many in a window, 429 until it ends.

Counted by django-ratelimit in the default cache (in memory for the embedded single process,
Redis when ``REDIS_URL`` is set, so every web process shares the count). The address is
``REMOTE_ADDR``: behind a proxy, the proxy's unless the proxy server hands over the client's
(README, "Production").
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

GROUP = "api-auth-failures"


class TooManyFailures(Exception):
    """Answered 429 with ``Retry-After`` by both APIs' error handlers."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed authentications from this address "
                         f"(limit {settings.TRIAGE_API_AUTH_FAILURE_RATE}); try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


def auth_failure_wait_s(request: HttpRequest) -> int | None:
    """Seconds until this address may try again, or None while it is under
    ``TRIAGE_API_AUTH_FAILURE_RATE`` (failures per window, e.g. ``20/m``)."""
    usage = _usage(request, increment=False)
    if usage is None or usage["count"] < usage["limit"]:  # the limit-th failure was the last allowed
        return None
    return max(1, usage["time_left"])


def note_auth_failure(request: HttpRequest) -> None:
    _usage(request, increment=True)


def client_address(group: str, request: HttpRequest) -> str:
    """The client's address; an IPv6 client's /64 (one host holds them all). A server may leave
    REMOTE_ADDR out (a unix socket): such requests share one count rather than fail."""
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _usage(request: HttpRequest, *, increment: bool) -> dict | None:
    return get_usage(request, group=GROUP, key=client_address, rate=settings.TRIAGE_API_AUTH_FAILURE_RATE,
                     increment=increment)
