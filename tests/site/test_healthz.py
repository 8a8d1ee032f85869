"""The public liveness probe."""

from __future__ import annotations

from django.test import Client


def test_it_reports_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_needs_no_login(client: Client) -> None:
    assert client.get("/healthz").status_code == 200
