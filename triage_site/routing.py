"""WebSocket URL patterns, mounted by asgi.py behind auth and an origin check."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from triage_site.consumers import CallConsumer, DashboardConsumer

DASHBOARD_SOCKET_PATH = "/ws/dashboard/"


def call_socket_path(call_id: int) -> str:
    return f"/ws/calls/{call_id}/"


websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
    path("ws/calls/<int:call_id>/", CallConsumer.as_asgi()),
]
