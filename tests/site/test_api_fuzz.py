"""Schemathesis fuzzes both APIs from their own OpenAPI schemas: no input is a server error, and
every documented response matches its schema. Bounded (a few dozen examples per operation) so
the file runs in seconds; the poison inputs it once found are regression tests in
test_poison_inputs.py."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import response_schema_conformance

from triage_site.api.tokens import api_token_create
from triage_site.models import Call

EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def wsgi_app():
    """The site as a WSGI app, with the test's database connection kept open between requests:
    a request's end closes "old" connections, which would close the test's own (Django's test
    client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def calls_schema(wsgi_app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)


@pytest.fixture
def openai_schema(wsgi_app):
    return schemathesis.openapi.from_wsgi("/v1/openapi.json", wsgi_app)


@pytest.fixture
def auth(db, django_user_model) -> dict[str, str]:
    user = django_user_model.objects.create_user("fuzzer", is_staff=True)  # sees every call
    Call.objects.create(text="chest pain", caller_name="J. Smith", created_by=user)
    _, raw = api_token_create(user=user, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


FUZZ = settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def fuzz(schema, auth: dict[str, str], check_response) -> list[str]:
    """Every operation of ``schema`` with valid and invalid input; returns the operations run.

    Hypothesis drives schemathesis's strategies directly (its pytest plugin does not run under
    this pytest): each operation gets ``EXAMPLES_PER_OPERATION`` cases per mode.
    """
    fuzzed = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:
            @FUZZ
            @given(case=operation.as_strategy(generation_mode=mode))
            def one_case(case):
                response = case.call(headers=auth)
                check_response(case, response)
                case.validate_response(response, checks=[response_schema_conformance])

            one_case()
            fuzzed.append(f"{operation.method.upper()} {operation.path} {mode.value}")
    return fuzzed


def assert_no_server_error(response, allowed: tuple[int, ...] = ()) -> None:
    assert response.status_code < 500 or response.status_code in allowed, (
        response.status_code, response.text[:500])


@pytest.mark.django_db
def test_the_calls_api_never_answers_a_server_error(calls_schema, auth):
    def check(case, response):
        assert_no_server_error(response)

    fuzzed = fuzz(calls_schema, auth, check)
    assert {"POST /api/calls positive", "GET /api/calls negative",
            "GET /api/calls/{public_id} negative"} <= set(fuzzed)


@pytest.mark.django_db
def test_the_openai_api_never_answers_a_server_error(openai_schema, auth):
    def check(case, response):
        # Generation is off in the tests: a valid completion is the documented 503 "generation_disabled".
        assert_no_server_error(response, allowed=(503,))
        if response.status_code == 503:
            assert response.json()["error"]["code"] == "generation_disabled"

    fuzzed = fuzz(openai_schema, auth, check)
    assert {"POST /v1/chat/completions positive", "POST /v1/chat/completions negative"} <= set(fuzzed)
