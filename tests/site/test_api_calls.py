"""The JSON API (api/): bearer tokens, create/read/list calls, errors that name the field, OpenAPI."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from inference.triage.base import MAX_CALL_TEXT_CHARS
from triage_site.api.tokens import api_token_create
from triage_site.models import Call, CallSource, CallStatus

TEXT = "My neighbour fell off a ladder, he is awake but his leg is bent the wrong way."


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("ambulance-app")


@pytest.fixture
def auth(user) -> dict[str, str]:
    _, raw = api_token_create(user=user, name="tests")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def post_call(client, auth):
    """POST api/calls. In a ``transaction=True`` test the classification runs on commit, inside
    the request, as it does in the embedded set-up."""
    def post(body):
        return client.post("/api/calls", body, content_type="application/json", headers=auth)
    return post


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer tri_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_it_refuses_requests_without_a_valid_token(client, header):
    headers = {"Authorization": header} if header else {}
    assert client.get("/api/calls", headers=headers).status_code == 401
    created = client.post("/api/calls", {"text": TEXT}, content_type="application/json", headers=headers)
    assert created.status_code == 401
    assert client.get(f"/api/calls/{uuid.uuid4()}", headers=headers).status_code == 401
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_a_deactivated_users_token_is_refused(client, user, auth):
    user.is_active = False
    user.save()
    assert client.get("/api/calls", headers=auth).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_new_call_is_stored_classified_and_readable_by_its_public_id(post_call, client, auth,
                                                                       tiny_classifier_settings):
    created = post_call({"text": f"  {TEXT} ", "caller_name": "R. Diaz", "location": "12 Elm Street"})
    assert created.status_code == 201, created.content
    call = created.json()
    assert call["text"] == TEXT and call["caller_name"] == "R. Diaz" and call["location"] == "12 Elm Street"
    assert call["source"] == CallSource.API and call["status"] == CallStatus.CLASSIFIED
    assert call["priority"] == call["predicted_priority"] in range(5)
    assert call["priority_label"].startswith(f"P{call['priority']} ")
    assert call["override_priority"] is None and call["classifier"] == "tiny-ft+red-flags"

    read = client.get(f"/api/calls/{call['public_id']}", headers=auth)
    assert read.status_code == 200
    assert read.json() == call
    assert Call.objects.get().public_id == uuid.UUID(call["public_id"])


@pytest.mark.django_db(transaction=True)
def test_a_clients_priority_is_kept_beside_the_classifiers(post_call, user, tiny_classifier_settings):
    call = post_call({"text": TEXT, "priority": 0}).json()
    assert call["priority"] == call["override_priority"] == 0
    assert call["predicted_priority"] in range(5)  # the model's rating is still recorded
    assert Call.objects.get().overridden_by == user


@pytest.mark.django_db
def test_reading_an_unknown_or_malformed_id(client, auth):
    missing = client.get(f"/api/calls/{uuid.uuid4()}", headers=auth)
    assert missing.status_code == 404 and "public_id" in missing.json()["detail"]
    malformed = client.get("/api/calls/42", headers=auth)
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["msg"].startswith("public_id: ")


@pytest.mark.django_db
def test_the_list_filters_and_pages(client, user, auth):
    now = timezone.now()
    rows = [  # (status, predicted, override, hours ago)
        (CallStatus.DONE, 0, None, 1), (CallStatus.DONE, 3, 0, 2), (CallStatus.CLASSIFIED, 0, 2, 3),
        (CallStatus.FAILED, None, None, 4), (CallStatus.DONE, 4, None, 30),
    ]
    ids = []
    for status, predicted, override, hours_ago in rows:
        call = Call.objects.create(text=TEXT, status=status, predicted_priority=predicted,
                                   override_priority=override, created_by=user)
        Call.objects.filter(pk=call.pk).update(received_at=now - timedelta(hours=hours_ago))
        ids.append(str(call.public_id))

    def listed(**query) -> dict:
        response = client.get("/api/calls", query, headers=auth)
        assert response.status_code == 200, response.content
        return response.json()

    everything = listed()
    assert everything["count"] == 5 and [c["public_id"] for c in everything["items"]] == ids  # newest first
    assert {c["public_id"] for c in listed(status="done")["items"]} == {ids[0], ids[1], ids[4]}
    assert [c["public_id"] for c in listed(priority=0)["items"]] == ids[:2]  # the override counts
    since = (now - timedelta(hours=3, minutes=30)).isoformat()
    until = (now - timedelta(hours=1, minutes=30)).isoformat()
    assert [c["public_id"] for c in listed(received_since=since, received_until=until)["items"]] == ids[1:3]
    naive_since = (now - timedelta(hours=24)).replace(tzinfo=None).isoformat()  # taken as UTC
    assert listed(received_since=naive_since)["count"] == 4
    page = listed(limit=2, offset=2)
    assert (page["count"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [c["public_id"] for c in page["items"]] == ids[2:4]


@pytest.mark.django_db
@pytest.mark.parametrize("query,field", [
    ({"limit": 101}, "limit"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset"),
    ({"status": "lost"}, "status"), ({"priority": 5}, "priority"), ({"priority": "high"}, "priority"),
    ({"received_since": "yesterday"}, "received_since"),
])
def test_bad_list_filters_name_the_field(client, auth, query, field):
    response = client.get("/api/calls", query, headers=auth)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"][-1] == field and detail[0]["msg"].startswith(f"{field}: ")


@pytest.mark.django_db
@pytest.mark.parametrize("body,field,words", [
    ({}, "text", "required"),
    ({"text": 42}, "text", "string"),
    ({"text": "  \n "}, "text", "empty"),
    ({"text": "x" * (MAX_CALL_TEXT_CHARS + 1)}, "text", "more than"),
    ({"text": TEXT, "priority": 7}, "priority", "less than or equal to 4"),
    ({"text": TEXT, "priority": -1}, "priority", "greater than or equal to 0"),
    ({"text": TEXT, "priority": "high"}, "priority", "integer"),
    ({"text": TEXT, "priority": True}, "priority", "integer"),
    ({"text": TEXT, "prioirty": 1}, "prioirty", "not permitted"),
    ({"text": TEXT, "caller_name": "n" * 201}, "caller_name", "at most 200"),
    ({"text": TEXT, "caller_phone": 5550100}, "caller_phone", "string"),
])
def test_bad_input_is_refused_naming_the_field(post_call, body, field, words, tiny_classifier_settings):
    response = post_call(body)
    assert response.status_code == 422, response.content
    error = response.json()["detail"][0]
    assert error["loc"][-1] == field
    assert error["msg"].startswith(f"{field}: ") and words in error["msg"]
    assert Call.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ['{"text": "chest pain"', "[1, 2]", "null"])
def test_a_body_that_is_not_a_json_object_is_a_4xx(client, auth, raw):
    response = client.post("/api/calls", raw, content_type="application/json", headers=auth)
    assert response.status_code in (400, 422)
    assert response.json()["detail"]
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_the_openapi_schema_is_generated_and_lists_the_endpoints(client):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths["/api/calls"]) == {"get", "post"}
    assert set(paths["/api/calls/{public_id}"]) == {"get"}
    assert any(scheme.get("scheme") == "bearer"
               for scheme in schema.json()["components"]["securitySchemes"].values())
    assert client.get("/api/docs").status_code == 200
    openai_paths = client.get("/v1/openapi.json").json()["paths"]
    assert "/v1/chat/completions" in openai_paths and "/v1/models" in openai_paths
