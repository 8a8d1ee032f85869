"""Calls: creation classifies them (eager task), bad input is refused, failures stay visible."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError

from inference.triage.base import MAX_CALL_TEXT_CHARS
from triage_site.models import Call, CallStatus
from triage_site.services.calls import call_create, call_override_priority
from triage_site.services.classification import call_classify

TEXT = "My husband collapsed in the kitchen and he is not breathing, please hurry."


@pytest.fixture
def create(django_capture_on_commit_callbacks):
    """call_create with its after-commit task run, as in production (eager Celery)."""
    def _create(**fields) -> Call:
        with django_capture_on_commit_callbacks(execute=True):
            call = call_create(**fields)
        call.refresh_from_db()
        return call
    return _create


@pytest.mark.django_db
def test_a_new_call_is_classified(create, tiny_classifier_settings):
    call = create(text=f"  {TEXT}  ", caller_name="A. Caller")
    assert call.text == TEXT  # outer whitespace only is stripped
    assert call.status == CallStatus.CLASSIFIED
    assert call.predicted_priority in range(5)
    assert call.priority == call.predicted_priority
    assert sum(call.priority_probabilities) == pytest.approx(1.0, abs=1e-5)
    assert call.priority_confidence == pytest.approx(call.priority_probabilities[call.predicted_priority])
    assert call.classifier == "tiny-ft+red-flags"  # the model, with the red-flag layer over it
    assert call.classified_at is not None and call.predicted_output_tokens >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("text,problem", [
    ("", "empty"), ("   \n ", "empty"), ("x" * (MAX_CALL_TEXT_CHARS + 1), "more than"), (42, "string"),
])
def test_bad_text_is_refused_and_nothing_is_stored(create, text, problem):
    with pytest.raises(ValidationError) as error:
        create(text=text)
    assert problem in " ".join(error.value.message_dict["text"])
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_a_classifier_failure_leaves_the_call_failed_with_the_reason(create, missing_classifier_settings):
    call = create(text=TEXT)
    assert call.status == CallStatus.FAILED
    assert "train_triage" in call.failure_reason
    assert call.text == TEXT and call.predicted_priority is None  # nothing the caller said is lost


@pytest.mark.django_db
def test_classifying_twice_changes_nothing(create, tiny_classifier_settings):
    call = create(text=TEXT)
    again = call_classify(call_id=call.pk)
    assert (again.status, again.predicted_priority, again.classified_at) == \
        (call.status, call.predicted_priority, call.classified_at)


@pytest.mark.django_db
def test_an_override_is_kept_beside_the_models_rating(create, tiny_classifier_settings, django_user_model):
    dispatcher = django_user_model.objects.create_user("dispatcher", password="pw-long-enough-1")
    call = create(text=TEXT)
    predicted = call.predicted_priority
    overridden = call_override_priority(call_id=call.pk, priority=(predicted + 1) % 5, user=dispatcher)
    assert overridden.predicted_priority == predicted
    assert overridden.priority == (predicted + 1) % 5
    assert overridden.overridden_by == dispatcher and overridden.overridden_at is not None
    with pytest.raises(ValidationError):
        call_override_priority(call_id=call.pk, priority=7, user=dispatcher)
    cleared = call_override_priority(call_id=call.pk, priority=None, user=dispatcher)
    assert cleared.priority == predicted and cleared.overridden_by is None


@pytest.mark.django_db
def test_logs_hold_ids_not_call_text(create, tiny_classifier_settings, missing_classifier_settings_factory,
                                     caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Mrs Zebediah Quartermaine at 17 Larkspur Row has chest pain"
    create(text=secret)
    missing_classifier_settings_factory()
    create(text=secret + " again")  # the failure path logs a traceback
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "call " in logged
    assert "Zebediah" not in logged and "Larkspur" not in logged
