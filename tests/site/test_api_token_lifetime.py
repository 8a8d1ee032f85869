"""Tokens expire and can be revoked (command or admin); either way they are refused with a 401."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from triage_site.api.tokens import api_token_create
from triage_site.models import ApiToken


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("ambulance-app")


def get_calls(client, raw: str) -> int:
    return client.get("/api/calls", headers={"Authorization": f"Bearer {raw}"}).status_code


def create(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "ambulance-app", "--name", "app", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


@pytest.mark.django_db
def test_a_new_token_expires_after_the_default_lifetime(client, user, settings):
    settings.TRIAGE_API_TOKEN_DEFAULT_DAYS = 90
    raw, note = create()
    token = ApiToken.objects.get()
    assert timedelta(days=89, hours=23) < token.expires_at - timezone.now() <= timedelta(days=90)
    assert "expires" in note and get_calls(client, raw) == 200


@pytest.mark.django_db
def test_the_command_sets_the_lifetime_or_none(user):
    create("--expires-in-days", "7")
    create("--no-expiry")
    week, never = ApiToken.objects.order_by("pk")
    assert timedelta(days=6, hours=23) < week.expires_at - timezone.now() <= timedelta(days=7)
    assert never.expires_at is None
    with pytest.raises(CommandError, match="whole number of days"):
        create("--expires-in-days", "0")
    with pytest.raises(CommandError):
        create("--expires-in-days", "7", "--no-expiry")


@pytest.mark.django_db
def test_an_expired_token_is_a_401(client, user):
    token, raw = api_token_create(user=user, name="app")
    assert get_calls(client, raw) == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert get_calls(client, raw) == 401
    assert client.post("/v1/chat/completions", {}, content_type="application/json",
                       headers={"Authorization": f"Bearer {raw}"}).status_code == 401


@pytest.mark.django_db
def test_the_command_revokes_by_id_by_user_or_by_the_token_itself(client, user, django_user_model, monkeypatch):
    first, first_raw = api_token_create(user=user, name="one")
    _, second_raw = api_token_create(user=user, name="two")
    other_user = django_user_model.objects.create_user("other")
    _, third_raw = api_token_create(user=other_user, name="three")
    out = io.StringIO()

    call_command("revoke_api_token", str(first.pk), stdout=out)
    assert get_calls(client, first_raw) == 401 and get_calls(client, second_raw) == 200
    assert "1 token(s) revoked" in out.getvalue()

    call_command("revoke_api_token", "--user", "ambulance-app", stdout=out)
    assert get_calls(client, second_raw) == 401 and get_calls(client, third_raw) == 200

    monkeypatch.setattr("sys.stdin", io.StringIO(third_raw + "\n"))
    call_command("revoke_api_token", "--token-stdin", stdout=out)
    assert get_calls(client, third_raw) == 401
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    assert third_raw not in out.getvalue()


@pytest.mark.django_db
def test_the_command_refuses_unknown_tokens_and_users(user):
    with pytest.raises(CommandError, match="no API token with id 999"):
        call_command("revoke_api_token", "999")
    with pytest.raises(CommandError, match="'nobody'"):
        call_command("revoke_api_token", "--user", "nobody")
    with pytest.raises(CommandError, match="one of them"):
        call_command("revoke_api_token")


@pytest.mark.django_db
def test_staff_revoke_tokens_in_the_admin(client, user, django_user_model):
    token, raw = api_token_create(user=user, name="app")
    operator = django_user_model.objects.create_superuser("operator", password="pw-long-enough-1")
    client.force_login(operator)
    done = client.post("/admin/triage_site/apitoken/", {"action": "revoke", "_selected_action": [token.pk]},
                       follow=True)
    assert done.status_code == 200
    assert any("1 token(s) revoked" in str(message) for message in done.context["messages"])
    client.logout()
    assert get_calls(client, raw) == 401


@pytest.mark.django_db
def test_the_admin_add_form_offers_the_default_expiry_and_clearing_it_means_never(client, user,
                                                                                django_user_model):
    operator = django_user_model.objects.create_superuser("operator", password="pw-long-enough-1")
    client.force_login(operator)
    page = client.get("/admin/triage_site/apitoken/add/").content.decode()
    assert re.search(r'name="expires_at_0"[^>]*value="\d{4}-\d{2}-\d{2}"', page)
    client.post("/admin/triage_site/apitoken/add/", {"user": user.pk, "name": "forever",
                                                     "expires_at_0": "", "expires_at_1": ""})
    assert ApiToken.objects.get(name="forever").expires_at is None
