"""API tokens: made by the command or the admin, shown once, stored as a hash, their use noted."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from triage_site.models import ApiToken


def make_token(username: str, name: str = "ambulance app") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", username, "--name", name, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


@pytest.mark.django_db
def test_the_command_prints_a_token_that_is_stored_only_as_its_hash(client, django_user_model):
    user = django_user_model.objects.create_user("dispatch-centre")
    raw, note = make_token("dispatch-centre")
    assert re.fullmatch(r"tri_[A-Za-z0-9_-]{40,}", raw) and "shown once" in note
    token = ApiToken.objects.get()
    assert token.user == user and token.name == "ambulance app"
    assert token.key_sha256 == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in repr(ApiToken.objects.values().get())  # not the token, nor a part of it stored
    assert token.last_used_at is None

    assert client.get("/api/calls", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_each_token_is_different(django_user_model):
    django_user_model.objects.create_user("dispatch-centre")
    assert make_token("dispatch-centre")[0] != make_token("dispatch-centre")[0]


@pytest.mark.django_db
def test_the_command_names_an_unknown_user():
    with pytest.raises(CommandError) as error:
        make_token("nobody")
    assert error.value.returncode == 2 and "'nobody'" in str(error.value)


@pytest.mark.django_db
def test_staff_add_a_token_in_the_admin_and_see_it_once(client, django_user_model):
    staff = django_user_model.objects.create_user("operator", password="pw-long-enough-1", is_staff=True,
                                                  is_superuser=True)
    client.force_login(staff)
    added = client.post("/admin/triage_site/apitoken/add/", {"user": staff.pk, "name": "triage bot"},
                        follow=True)
    assert added.status_code == 200
    shown = [str(message) for message in added.context["messages"]]
    raw = next(re.search(r"tri_[A-Za-z0-9_-]+", text).group() for text in shown if "tri_" in text)
    token = ApiToken.objects.get()
    assert token.key_sha256 == hashlib.sha256(raw.encode()).hexdigest()

    change_page = client.get(f"/admin/triage_site/apitoken/{token.pk}/change/").content.decode()
    assert token.key_sha256 in change_page and raw not in change_page
    assert 'name="key_sha256"' not in change_page  # shown, not editable
