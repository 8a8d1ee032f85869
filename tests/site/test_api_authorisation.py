"""A token sees what its user may see: its own calls, or every call for a dispatcher's token."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError

from triage_site.api.tokens import api_token_create
from triage_site.models import Call, CallSource

TEXT = "My neighbour fell off a ladder, he is awake but his leg is bent the wrong way."


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token_create(user=user, name='tests')[1]}"}


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice-app")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob-app")


@pytest.fixture
def dispatcher(django_user_model):
    return django_user_model.objects.create_user("dispatcher", is_staff=True)


def post(client, headers, **body):
    response = client.post("/api/calls", {"text": TEXT, **body}, content_type="application/json",
                           headers=headers)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
def test_a_call_made_through_the_api_belongs_to_the_tokens_user(client, alice):
    created = post(client, bearer(alice), caller_name="R. Diaz")
    assert Call.objects.get(public_id=created["public_id"]).created_by == alice


@pytest.mark.django_db
def test_another_users_token_can_neither_read_nor_list_the_call(client, alice, bob):
    created = post(client, bearer(alice), caller_name="R. Diaz", caller_phone="555-0100")
    dashboard_call = Call.objects.create(text="chest pain", caller_name="J. Smith")  # no owner
    bobs = bearer(bob)

    read = client.get(f"/api/calls/{created['public_id']}", headers=bobs)
    assert read.status_code == 404 and "R. Diaz" not in read.content.decode()
    assert client.get(f"/api/calls/{dashboard_call.public_id}", headers=bobs).status_code == 404
    listed = client.get("/api/calls", headers=bobs).json()
    assert listed["count"] == 0 and listed["items"] == []

    alices = client.get("/api/calls", headers=bearer(alice)).json()
    assert [call["public_id"] for call in alices["items"]] == [created["public_id"]]


@pytest.mark.django_db
def test_a_dispatchers_token_sees_every_call(client, alice, dispatcher):
    created = post(client, bearer(alice))
    dashboard_call = Call.objects.create(text="chest pain")
    headers = bearer(dispatcher)
    listed = client.get("/api/calls", headers=headers).json()
    assert {call["public_id"] for call in listed["items"]} == {created["public_id"], str(dashboard_call.public_id)}
    assert client.get(f"/api/calls/{created['public_id']}", headers=headers).status_code == 200


@pytest.mark.django_db
def test_a_staff_user_who_lost_staff_rights_sees_only_their_own_calls_again(client, alice, dispatcher):
    post(client, bearer(alice))
    headers = bearer(dispatcher)
    assert client.get("/api/calls", headers=headers).json()["count"] == 1
    dispatcher.is_staff = False
    dispatcher.save()
    assert client.get("/api/calls", headers=headers).json()["count"] == 0


@pytest.mark.django_db
def test_a_chat_completion_makes_its_call_as_the_tokens_user(client, alice, settings, tmp_path, monkeypatch):
    settings.TRIAGE_LM_DIR = tmp_path / "smollm2-135m-instruct"
    settings.TRIAGE_GENERATION = "embedded"  # anything but off: the spy stops before dispatch
    made = {}

    def spy_call_create(**fields):
        made.update(fields)
        raise DjangoValidationError({"text": "stopped by the test"})

    monkeypatch.setattr("triage_site.api.openai_compat.call_create", spy_call_create)
    response = client.post("/v1/chat/completions", {"model": "smollm2-135m-instruct",
                                                    "messages": [{"role": "user", "content": TEXT}]},
                           content_type="application/json", headers=bearer(alice))
    assert response.status_code == 400 and "stopped by the test" in response.json()["error"]["message"]
    assert made["owner"] == alice and made["source"] == CallSource.API
