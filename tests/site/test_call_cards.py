"""A call's instruction card: chosen at intake (before any LM), carried by the prompt, the reply
checked against it, and the card shown instead when the reply fails; cards versioned as data."""

from __future__ import annotations


import pytest
from django.core.management import call_command

from triage_site import engine_host
from triage_site.live import call_summary
from triage_site.models import Call, CallStatus, InstructionCard
from triage_site.services.calls import call_create
from triage_site.services.cards import card_save_edit, cards_load_from_file

ARREST = "My husband is not breathing and his lips are blue"


@pytest.fixture
def no_generation(settings, tiny_classifier_settings):
    settings.TRIAGE_GENERATION = "off"
    return settings


@pytest.mark.django_db(transaction=True)
def test_the_card_is_chosen_at_intake_without_waiting_for_the_lm(no_generation, wait_for):
    call = wait_for(call_create(text=ARREST).pk, {CallStatus.CLASSIFIED})
    assert call.cards[0]["id"] == "cardiac_arrest" and call.cards[0]["version"] == 1
    summary = call_summary(call)
    assert summary["cards"][0]["title"].startswith("Cardiac arrest")
    assert summary["reply_passed"] is None


@pytest.mark.django_db(transaction=True)
def test_a_failed_reply_is_replaced_by_the_card_and_the_raw_reply_kept(settings, tiny_engine_settings, wait_for):
    settings.TRIAGE_ENGINE_MAX_NEW_TOKENS = 8
    done = wait_for(call_create(text=ARREST).pk, {CallStatus.DONE, CallStatus.FAILED})
    assert done.status == CallStatus.DONE, done.failure_reason
    assert done.reply_passed is False  # a random tiny LM cut at 8 tokens never passes
    assert "cut at the length cap" in done.reply_check_reasons
    assert done.shown_text.startswith("Cardiac arrest: hands-only CPR\n1. ")
    assert done.response and done.response not in done.shown_text


def test_the_prompt_carries_the_card():
    from inference.cards.library import default_cards
    from inference.prompts import call_messages

    system = call_messages(ARREST, 0, default_cards()["cardiac_arrest"])[0]["content"]
    assert "Push down hard and fast" in system and "ambulance is on its way" in system


@pytest.mark.django_db
def test_the_migration_loaded_the_library_and_loading_again_adds_nothing():
    assert InstructionCard.objects.filter(is_current=True).count() == 14
    assert cards_load_from_file() == []
    call_command("load_cards")
    assert InstructionCard.objects.count() == 14


@pytest.mark.django_db
def test_a_staff_edit_is_a_new_version_and_old_calls_keep_theirs(admin_user):
    from triage_site.cards import cards_of

    old = InstructionCard.objects.get(card_id="burns", is_current=True)
    data = {"title": old.title, "steps": old.steps + ["Stay with them."], "sources": old.sources,
            "key_actions": old.key_actions, "forbidden": old.forbidden, "allowed_terms": old.allowed_terms}
    new = card_save_edit(card_id="burns", data=data, user=admin_user)
    assert (new.version, new.is_current, new.created_by) == (2, True, admin_user)
    old.refresh_from_db()
    assert not old.is_current
    assert cards_of([{"id": "burns", "version": 1}])[0].steps == tuple(old.steps)
    assert cards_of([{"id": "burns", "version": 2}])[0].steps[-1] == "Stay with them."


@pytest.mark.django_db
def test_the_admin_stores_an_edit_as_a_new_version(admin_client):
    row = InstructionCard.objects.get(card_id="seizure", is_current=True)
    response = admin_client.post(f"/admin/triage_site/instructioncard/{row.pk}/change/", {
        "title": row.title + " (edited)", "steps_text": "\n".join(row.steps),
        "sources": '[{"organisation": "NHS", "url": "https://www.nhs.uk/"}]',
        "key_actions": '[{"name": "do not restrain", "patterns": ["do not hold"]}]',
        "forbidden": "[]", "allowed_terms": "[]", "position": row.position})
    assert response.status_code == 302, response.content[:2000]
    current = InstructionCard.objects.get(card_id="seizure", is_current=True)
    assert current.version == 2 and current.title.endswith("(edited)")


@pytest.mark.django_db
def test_the_admin_refuses_a_card_without_its_key_action(admin_client):
    row = InstructionCard.objects.get(card_id="seizure", is_current=True)
    response = admin_client.post(f"/admin/triage_site/instructioncard/{row.pk}/change/", {
        "title": row.title, "steps_text": "Stay calm.",
        "sources": '[{"organisation": "NHS", "url": "https://www.nhs.uk/"}]',
        "key_actions": '[{"name": "do not restrain", "patterns": ["do not hold"]}]',
        "forbidden": "[]", "allowed_terms": "[]", "position": row.position})
    assert response.status_code == 200 and b"key action" in response.content
    assert InstructionCard.objects.filter(card_id="seizure").count() == 1


@pytest.mark.django_db
def test_the_complaint_head_shares_the_urgency_encoder_under_the_red_flag_layer(tiny_classifier_settings, tmp_path):
    import shutil

    from inference.cards.complaint_model import ScenarioCall, train_complaint_head
    from inference.cards.library import default_cards
    from triage_site import cards as site_cards
    from triage_site.triage import get_classifier

    artefact = tmp_path / "artefact"
    shutil.copytree(tiny_classifier_settings.TRIAGE_ENCODER_DIR, artefact)
    train_complaint_head(artefact, [ScenarioCall("He is choking", ("choking",))] * 2,
                         [ScenarioCall("He is choking", ("choking",))], list(default_cards()), epochs=5)
    tiny_classifier_settings.TRIAGE_ENCODER_DIR = artefact
    get_classifier.cache_clear()
    head = site_cards.get_complaint_head()
    assert head is not None and head.encoder is _unwrapped(get_classifier()).model.encoder
    get_classifier.cache_clear()


def _unwrapped(classifier):
    while getattr(classifier, "inner", None) is not None:
        classifier = classifier.inner
    return classifier
