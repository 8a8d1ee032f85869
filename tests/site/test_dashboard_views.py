"""Dispatcher pages: who may see them, call intake, and the urgency override."""

from __future__ import annotations

import pytest

from triage_site.models import Call, CallStatus

pytestmark = pytest.mark.django_db

TEXT = "My husband collapsed in the kitchen and he is not breathing, please hurry."


@pytest.fixture
def dispatcher(django_user_model):
    return django_user_model.objects.create_user("dispatcher", password="pw-long-enough-1", is_staff=True)


@pytest.fixture
def dispatcher_client(client, dispatcher):
    client.force_login(dispatcher)
    return client


@pytest.fixture
def call():
    return Call.objects.create(text=TEXT, status=CallStatus.DONE, predicted_priority=2,
                               priority_probabilities=[0.1, 0.2, 0.5, 0.1, 0.1], priority_confidence=0.5,
                               response="Check whether he is breathing. " * 20)


@pytest.mark.parametrize("path", ["/", "/calls/1/"])
def test_anonymous_users_are_sent_to_log_in(client, path):
    page = client.get(path)
    assert page.status_code == 302
    assert page["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", ["/", "/calls/1/"])
def test_signed_in_users_without_staff_rights_are_refused(client, django_user_model, call, path):
    client.force_login(django_user_model.objects.create_user("clerk", password="pw-long-enough-1"))
    assert client.get(path.replace("1", str(call.pk))).status_code == 403


def test_the_dashboard_loads_plotly_from_this_site_and_names_every_level(dispatcher_client):
    page = dispatcher_client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="/static/vendor/plotly/plotly.min.js"' in html and "cdn" not in html.lower()
    assert "/ws/dashboard/" in html
    for label in ("P0 immediate", "P1 emergent", "P2 urgent", "P3 less urgent", "P4 non-urgent"):
        assert label in html


def test_plotly_is_found_as_a_static_file():
    from django.contrib.staticfiles import finders

    found = finders.find("vendor/plotly/plotly.min.js")
    assert found and found.endswith("package_data/plotly.min.js")


def test_the_intake_form_creates_a_call_that_gets_classified(
        dispatcher_client, tiny_classifier_settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page = dispatcher_client.post("/", {"text": f"  {TEXT} ", "caller_name": "A. Caller",
                                            "caller_phone": "555 0100", "location": "12 High St"})
    assert page.status_code == 302 and page["Location"] == "/"
    call = Call.objects.get()
    assert (call.text, call.caller_name, call.caller_phone, call.location) == \
        (TEXT, "A. Caller", "555 0100", "12 High St")
    assert call.status == CallStatus.CLASSIFIED and call.predicted_priority in range(5)
    assert f"Call {call.pk} received." in dispatcher_client.get("/").content.decode()


def test_the_intake_form_answers_the_page_script_in_json(dispatcher_client):
    created = dispatcher_client.post("/", {"text": TEXT}, HTTP_ACCEPT="application/json")
    assert created.status_code == 201
    call = Call.objects.get()
    assert created.json() == {"id": call.pk, "url": f"/calls/{call.pk}/"}
    refused = dispatcher_client.post("/", {"text": " "}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["text"][0]["message"] == "This field is required."
    assert Call.objects.count() == 1


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_an_empty_transcript_is_shown_next_to_the_field_and_nothing_is_stored(dispatcher_client, text):
    page = dispatcher_client.post("/", {"text": text, "caller_name": "Kept Name"})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<ul class="errorlist" data-errors-for="text"><li>This field is required.</li></ul>' in html
    assert 'value="Kept Name"' in html  # what was typed is not lost
    assert Call.objects.count() == 0


def test_the_call_page_shows_the_full_response_and_the_models_rating(dispatcher_client, call):
    page = dispatcher_client.get(f"/calls/{call.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert call.response.strip() in html  # in full, not the dashboard's preview
    assert TEXT in html and "P2 urgent" in html and "50.0 %" in html
    assert f"/ws/calls/{call.pk}/" in html


def test_an_unknown_call_is_404(dispatcher_client):
    assert dispatcher_client.get("/calls/999999/").status_code == 404


def test_an_override_changes_the_urgency_records_who_and_tells_the_engine(
        dispatcher_client, dispatcher, call, monkeypatch, django_capture_on_commit_callbacks):
    told = []
    monkeypatch.setattr("triage_site.generation.base.NoGeneration.reprioritise",
                        lambda self, **kwargs: told.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        page = dispatcher_client.post(f"/calls/{call.pk}/override/", {"priority": "0"})
    assert page.status_code == 302 and page["Location"] == f"/calls/{call.pk}/"
    call.refresh_from_db()
    assert call.override_priority == 0 and call.predicted_priority == 2
    assert call.overridden_by == dispatcher and call.overridden_at is not None
    assert told == [{"call_id": call.pk, "priority": 0}]
    html = dispatcher_client.get(page["Location"]).content.decode()
    assert "Urgency overridden." in html and "P0 immediate" in html and "by dispatcher" in html


def test_clearing_the_override_goes_back_to_the_models_rating(dispatcher_client, dispatcher, call):
    dispatcher_client.post(f"/calls/{call.pk}/override/", {"priority": "4"})
    dispatcher_client.post(f"/calls/{call.pk}/override/", {"priority": ""})
    call.refresh_from_db()
    assert call.override_priority is None and call.overridden_by is None and call.priority == 2


def test_an_unknown_level_is_refused(dispatcher_client, call):
    page = dispatcher_client.post(f"/calls/{call.pk}/override/", {"priority": "9"})
    assert page.status_code == 400
    assert "Select a valid choice" in page.content.decode()
    call.refresh_from_db()
    assert call.override_priority is None


def test_only_dispatchers_may_override(client, django_user_model, call):
    client.force_login(django_user_model.objects.create_user("clerk", password="pw-long-enough-1"))
    assert client.post(f"/calls/{call.pk}/override/", {"priority": "0"}).status_code == 403
    call.refresh_from_db()
    assert call.override_priority is None
