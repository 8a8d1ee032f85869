"""Choosing cards: red-flag rules on labelled calls, the order of two cards, the general fallback,
and the complaint head's train-save-load path on the tiny encoder."""

from __future__ import annotations

import pytest

from inference.cards.complaint_model import ComplaintHead, ScenarioCall, train_complaint_head
from inference.cards.library import default_cards
from inference.cards.selection import choose_cards

ORDER = list(default_cards())

LABELLED = [
    ("My husband is not breathing and his lips are blue", "cardiac_arrest"),
    ("My dad collapsed in the garden and he isn't breathing", "cardiac_arrest"),
    ("She's choking on a piece of meat and can't speak", "choking"),
    ("He cut his leg on a saw and it's bleeding heavily, blood everywhere", "severe_bleeding"),
    ("My mum's face is drooping on one side and her speech is slurred", "stroke"),
    ("He has crushing chest pain going down his left arm", "chest_pain"),
    ("My son is having an asthma attack and his inhaler isn't helping", "breathing_difficulty"),
    ("My toddler swallowed some of my sleeping tablets", "overdose_poisoning"),
    ("My wife is having a seizure, she's shaking all over", "seizure"),
    ("He was stung by a bee and his tongue is swelling", "anaphylaxis"),
    ("My daughter pulled a kettle over and scalded her arm", "burns"),
    ("Her waters have broken and I can see the baby's head", "childbirth"),
    ("My nan fell down the stairs and hit her head", "falls_head_injury"),
    ("He's diabetic, shaky and sweaty and his blood sugar is 2.1", "diabetic"),
    ("I need a repeat prescription for my blood pressure tablets", "general"),
]


@pytest.mark.parametrize(("text", "card_id"), LABELLED)
def test_rules_choose_the_labelled_card_first(text, card_id):
    assert choose_cards(text, ORDER)[0] == card_id


def test_a_negated_red_flag_does_not_count():
    assert choose_cards("I left my tablets at home. No chest pain or anything, I feel fine.", ORDER) == ["general"]


def test_two_cards_come_most_time_critical_first_and_general_never_joins_another():
    cards = choose_cards("He overdosed on heroin and now he's not breathing", ORDER)
    assert cards == ["cardiac_arrest", "overdose_poisoning"]
    assert choose_cards("x", ORDER, {"general": 0.9, "burns": 0.8}) == ["burns"]


def test_the_head_adds_cards_the_rules_miss():
    assert choose_cards("Something is wrong with my brother", ORDER, {"seizure": 0.7, "stroke": 0.2}) == ["seizure"]


def test_the_complaint_head_trains_saves_and_loads(tiny_artefact_dir, tmp_path):
    import shutil

    artefact = tmp_path / "artefact"
    shutil.copytree(tiny_artefact_dir, artefact)
    rows = [ScenarioCall("He is not breathing", ("cardiac_arrest",)),
            ScenarioCall("She is choking on food", ("choking",)),
            ScenarioCall("I need a sick note", ("general",))] * 3
    trained = train_complaint_head(artefact, rows, rows[:3], ORDER, epochs=50)
    loaded = ComplaintHead.load(artefact)
    assert loaded.card_ids == ORDER and loaded.metadata["trained_on"] == 9
    assert loaded.probabilities(["He is not breathing"])[0] == pytest.approx(
        trained.probabilities(["He is not breathing"])[0], abs=1e-5)
