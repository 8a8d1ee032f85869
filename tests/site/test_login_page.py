"""Staff log in through django.contrib.auth's views and the project's template."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client


def test_it_renders_the_login_form(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_it_logs_a_user_in(client: Client) -> None:
    User.objects.create_user(username="nurse", password="correct horse")
    response = client.post(
        "/accounts/login/", {"username": "nurse", "password": "correct horse"}
    )
    assert response.status_code == 302
    assert response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_it_rejects_a_wrong_password(client: Client) -> None:
    User.objects.create_user(username="nurse", password="correct horse")
    response = client.post("/accounts/login/", {"username": "nurse", "password": "nope"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
