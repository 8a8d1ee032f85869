"""Neither logs nor error pages carry call text or tokens: ninja's auth log line, database errors
that quote the input, and Django's DEBUG 500 page."""

from __future__ import annotations

import io
import logging

import pytest
from django.db import DataError
from django.test import Client

from triage_site.api.tokens import api_token_create
from triage_site.log_redaction import RedactSecrets, redacted_traceback

# Each value is assembled, so that it never appears whole in this file: the DEBUG page shows the
# source lines around every frame, these tests' own included.
TEXT = " ".join(["Maria Lopez is bleeding", "from the head after a fall"])
PHONE = "+44 7700 " + "900123"
LOCATION = "Flat 3, " + "14 Rosemary Lane"
TOKEN = "tri_" + "SeCrEtToKeN" + "0123456789abcdefghijklmnopqrstu"


def pg_style_error() -> DataError:
    """What psycopg raises for a \\u0000 in a JSON column, wrapped by Django: it quotes the data."""
    try:
        try:
            raise ValueError(f'unsupported Unicode escape sequence\nCONTEXT: JSON data, line 1: '
                             f'[{{"role": "user", "content": "{TEXT}')
        except ValueError as cause:
            raise DataError(str(cause)) from cause
    except DataError as error:
        return error


@pytest.fixture
def auth(django_user_model) -> dict[str, str]:
    _, raw = api_token_create(user=django_user_model.objects.create_user("app"), name="tests")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
@pytest.mark.parametrize("header", [f"Token {TOKEN}", f"Basic {TOKEN}", f"bearer{TOKEN}"])
def test_an_unexpected_auth_scheme_never_puts_the_token_in_the_log(client, settings, caplog, header):
    settings.DEBUG = True  # ninja logs the header only then
    caplog.set_level(logging.DEBUG)
    assert client.get("/api/calls", headers={"Authorization": header}).status_code == 401
    assert client.get("/v1/models", headers={"Authorization": header}).status_code == 401
    assert TOKEN not in caplog.text and TOKEN[4:20] not in caplog.text


def test_the_filter_redacts_ninjas_auth_line_on_the_django_logger(caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("django").error(f"Unexpected auth - 'Token {TOKEN}'")
    assert TOKEN not in caplog.text and "Unexpected auth - [withheld]" in caplog.text


def test_the_console_handler_redacts_every_logger(monkeypatch):
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "stderr")
    stream = io.StringIO()
    monkeypatch.setattr(handler, "stream", stream)
    logging.getLogger("some.library").warning("retrying with Authorization: Bearer %s", TOKEN)
    logging.getLogger("other.library").warning("sent Basic %s", "dXNlcjpodW50ZXIy")
    try:
        raise pg_style_error()
    except DataError:
        logging.getLogger("another.library").exception("insert failed")
    written = stream.getvalue()
    assert TOKEN not in written and TEXT not in written
    assert "Authorization: [withheld]" in written and "Basic [withheld]" in written
    assert "dXNlcjpodW50ZXIy" not in written
    assert "DataError" in written and "message withheld" in written


def test_a_quoting_exceptions_traceback_keeps_the_frames_and_withholds_every_message():
    text = redacted_traceback(pg_style_error())
    assert TEXT not in text
    assert "ValueError: (message withheld" in text and "DataError: (message withheld" in text
    assert "pg_style_error" in text  # the frames are kept: the bug can still be found


def test_a_harmless_exception_keeps_its_message():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
    try:
        raise FileNotFoundError("models/triage/minilm is missing")
    except FileNotFoundError as error:
        record.exc_info = (type(error), error, error.__traceback__)
    RedactSecrets().filter(record)
    assert record.exc_info is not None  # left to the formatter, message and all


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_an_api_error_quoting_the_input_leaves_no_text_in_the_log_or_the_response(
        client, auth, settings, caplog, monkeypatch, debug):
    settings.DEBUG = debug
    caplog.set_level(logging.DEBUG)

    def failing_create(**fields):
        raise pg_style_error()

    monkeypatch.setattr("triage_site.api.calls.call_create", failing_create)
    response = client.post("/api/calls", {"text": TEXT, "caller_phone": PHONE}, content_type="application/json",
                           headers=auth)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error; it is logged (with the request's path, "
                                         "never its body)"}
    assert "DataError" in caplog.text and "failing_create" in caplog.text  # logged, usefully
    assert TEXT not in caplog.text and PHONE not in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("error", [RuntimeError("boom"), pg_style_error()], ids=["plain", "quoting"])
def test_the_debug_500_page_shows_no_call_fields_or_secrets(django_user_model, settings, monkeypatch, error):
    settings.DEBUG = True
    browser = Client(raise_request_exception=False)
    browser.force_login(django_user_model.objects.create_user("dispatcher", is_staff=True))

    def failing_create(**fields):
        raise error

    monkeypatch.setattr("triage_site.views.dashboard.call_create", failing_create)
    page = browser.post("/", {"text": TEXT, "caller_phone": PHONE, "location": LOCATION},
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 500
    html = page.content.decode()
    assert type(error).__name__ in html and "failing_create" in html  # the page is still useful
    for secret in (TEXT, PHONE, LOCATION, TOKEN, settings.SECRET_KEY):
        assert secret not in html


def test_a_locked_database_keeps_its_message_in_the_log():
    from django.db import OperationalError

    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
    try:
        raise OperationalError("database is locked")
    except OperationalError as error:
        record.exc_info = (type(error), error, error.__traceback__)
    RedactSecrets().filter(record)
    assert record.exc_info is not None  # not a data error: nothing to withhold
    assert "database is locked" in redacted_traceback(record.exc_info[1])
