"""Failed API authentications from one address are limited: past the rate, 429 for everyone there."""

from __future__ import annotations

import uuid

import pytest

from triage_site.api.tokens import api_token_create

@pytest.fixture
def limited(settings):
    """20 failures per window, as in production, but an hour's window: a minute's could roll over
    part-way through a test (django-ratelimit's windows are fixed) and reset the count. Counted in
    a fresh in-memory cache: the default one may be Redis, which outlives the test run."""
    settings.TRIAGE_API_AUTH_FAILURE_RATE = "20/h"
    settings.CACHES = {**settings.CACHES, "auth-failures": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}}
    settings.RATELIMIT_USE_CACHE = "auth-failures"
    return settings


@pytest.fixture
def address() -> str:
    return "198.51.100.7"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/calls", "/v1/models"])
def test_after_20_failures_the_address_gets_429s_even_with_a_valid_token(
        client, django_user_model, limited, address, path):
    _, raw = api_token_create(user=django_user_model.objects.create_user("app"), name="app")
    wrong = {"Authorization": "Bearer tri_guess"}
    statuses = [client.get(path, headers=wrong, REMOTE_ADDR=address).status_code for _ in range(25)]
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429] * 5
    blocked = client.get(path, headers={"Authorization": f"Bearer {raw}"}, REMOTE_ADDR=address)
    assert blocked.status_code == 429 and 1 <= int(blocked["Retry-After"]) <= 3600
    assert "try again" in blocked.content.decode()

    other = client.get(path, headers={"Authorization": f"Bearer {raw}"}, REMOTE_ADDR="198.51.100.250")
    assert other.status_code == 200


@pytest.mark.django_db
def test_successes_do_not_count(client, django_user_model, limited, address):
    _, raw = api_token_create(user=django_user_model.objects.create_user("app"), name="app")
    statuses = {client.get("/api/calls", headers={"Authorization": f"Bearer {raw}"},
                           REMOTE_ADDR=address).status_code for _ in range(30)}
    assert statuses == {200}


@pytest.mark.django_db
def test_the_openai_api_answers_429_in_openai_shape(client, limited, address):
    for _ in range(21):
        response = client.get("/v1/models", headers={"Authorization": "Token tri_guess"}, REMOTE_ADDR=address)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
