"""Poison inputs are 4xx answers naming the field, never 500s: NUL bytes and unpaired surrogates
in text, huge offsets, bodies over the upload limit."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings

from triage_site.api.schemas import MAX_OFFSET
from triage_site.api.tokens import api_token_create
from triage_site.models import Call

TEXT = "My neighbour fell off a ladder, he is awake but his leg is bent the wrong way."
MODEL = "smollm2-135m-instruct"


@pytest.fixture
def auth(django_user_model) -> dict[str, str]:
    _, raw = api_token_create(user=django_user_model.objects.create_user("app"), name="tests")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def served(settings, tmp_path):
    settings.TRIAGE_LM_DIR = tmp_path / MODEL
    settings.TRIAGE_GENERATION = "embedded"  # anything but off: refusals come before any dispatch
    return settings


def post_json(client, path: str, body: str, auth):
    return client.post(path, body, content_type="application/json", headers=auth)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["text", "caller_name", "caller_phone", "location"])
@pytest.mark.parametrize("poison,words", [("\\u0000", "NUL character (U+0000)"),
                                          ("\\udfff", "")])  # pydantic's own: "unable to parse ... unicode"
def test_a_call_field_with_nul_or_a_lone_surrogate_is_a_422_naming_it(client, auth, field, poison, words):
    body = {"text": TEXT}
    raw = json.dumps(body)[:-1] + f', "{field}": "chest {poison} pain"}}' if field != "text" \
        else f'{{"text": "chest {poison} pain"}}'
    response = post_json(client, "/api/calls", raw, auth)
    assert response.status_code == 422, response.content
    error = response.json()["detail"][0]
    assert error["loc"][-1] == field and error["msg"].startswith(f"{field}: ") and words in error["msg"]
    assert Call.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("index,poison", [(0, "\\u0000"), (1, "\\udfff"), (1, "\\ud83d")])
def test_a_chat_message_with_nul_or_a_lone_surrogate_is_a_400_naming_it(client, auth, served, index, poison):
    raw = ('{"model": "%s", "messages": [{"role": "system", "content": "be %s brief"},'
           ' {"role": "user", "content": "chest %s pain"}]}') % (MODEL, poison if index == 0 else "",
                                                                  poison if index == 1 else "")
    response = post_json(client, "/v1/chat/completions", raw, auth)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["param"] == f"messages[{index}].content" and "which is not text" in error["message"]
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_a_text_part_with_nul_is_refused_too(client, auth, served):
    raw = ('{"model": "%s", "messages": [{"role": "user", "content": [{"type": "text", "text": "a\\u0000b"}]}]}'
           % MODEL)
    assert post_json(client, "/v1/chat/completions", raw, auth).json()["error"]["param"] == "messages[0].content"


@pytest.mark.django_db
def test_a_proper_astral_character_is_still_welcome(client, auth):
    response = post_json(client, "/api/calls", '{"text": "He is not breathing \\ud83d\\ude28"}', auth)
    assert response.status_code == 201, response.content
    assert Call.objects.get().text.endswith("\U0001F628")


@pytest.mark.django_db
def test_the_dashboard_form_refuses_a_nul_naming_the_field(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("dispatcher", is_staff=True))
    response = client.post("/", {"text": "chest\x00pain", "caller_name": "J\x00"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"text", "caller_name"}
    assert Call.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [2**63, 2**63 - 1, 2**64 + 5, MAX_OFFSET + 1, 10**30])
def test_a_huge_offset_is_a_422_naming_it(client, auth, offset):
    response = client.get("/api/calls", {"offset": offset}, headers=auth)
    assert response.status_code == 422, response.content
    error = response.json()["detail"][0]
    assert error["loc"][-1] == "offset" and error["msg"].startswith("offset: ")


@pytest.mark.django_db
def test_the_largest_offset_allowed_is_an_empty_page(client, auth):
    page = client.get("/api/calls", {"offset": MAX_OFFSET, "limit": 100}, headers=auth)
    assert page.status_code == 200 and page.json()["items"] == []


def too_big_body() -> str:
    return json.dumps({"text": "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_body_over_the_limit_is_a_413_in_the_apis_shape(client, auth, served, settings, debug):
    settings.DEBUG = debug
    calls = post_json(client, "/api/calls", too_big_body(), auth)
    assert calls.status_code == 413, calls.content[:300]
    assert calls.json()["detail"].startswith("body: ") and "bytes" in calls.json()["detail"]
    chat = post_json(client, "/v1/chat/completions", too_big_body(), auth)
    assert chat.status_code == 413, chat.content[:300]
    assert chat.json()["error"]["code"] == "request_too_large"
    assert Call.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("when", ["2026-01-01T00:00:00+23:59", "2026-01-01T00:00:00-20:00"])
def test_a_time_zone_postgresql_refuses_is_converted_to_utc(client, auth, when):
    """Schemathesis found this one on PostgreSQL (offsets past 15:59 are a DataError there)."""
    response = client.get("/api/calls", {"received_since": when}, headers=auth)
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_a_time_out_of_range_in_utc_is_a_422_naming_it(client, auth):
    response = client.get("/api/calls", {"received_until": "0001-01-01T00:00:00+01:00"}, headers=auth)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("received_until: ")
