"""WebSocket URL patterns, mounted by asgi.py behind auth and an origin check."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

websocket_urlpatterns: list[URLPattern | URLResolver] = []
