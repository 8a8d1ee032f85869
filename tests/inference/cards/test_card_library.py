"""The shipped card library: every card is usable, sourced, and safe to show as it is."""

from __future__ import annotations

import pytest

from inference.cards.checker import check_reply, harmful_phrases
from inference.cards.library import CardError, card_from_dict, card_to_dict, default_cards

ISSUE_CARDS = ("cardiac_arrest", "choking", "severe_bleeding", "stroke", "chest_pain", "breathing_difficulty",
               "overdose_poisoning", "seizure", "anaphylaxis", "burns", "childbirth", "falls_head_injury",
               "diabetic", "general")


def test_it_has_every_card_the_issue_names_with_a_public_source():
    cards = default_cards()
    assert set(ISSUE_CARDS) <= set(cards)
    for card in cards.values():
        assert card.sources and all(s.url.startswith("https://") and s.organisation for s in card.sources)
        assert card.key_actions and card.version >= 1


@pytest.mark.parametrize("card_id", ISSUE_CARDS)
def test_each_card_read_as_it_is_passes_the_checker_and_says_nothing_harmful(card_id):
    card = default_cards()[card_id]
    assert check_reply(card.numbered_steps(), [card]).passed
    assert harmful_phrases(card.numbered_steps(), [card]) == []


def test_cardiac_arrest_comes_first_when_a_call_needs_two_cards():
    assert list(default_cards())[0] == "cardiac_arrest"


def test_a_card_whose_steps_lack_its_key_action_is_refused():
    data = card_to_dict(default_cards()["burns"])
    data["steps"] = ["Keep them warm."]
    with pytest.raises(CardError, match="key action"):
        card_from_dict(data)


def test_a_bad_pattern_is_refused_naming_the_card():
    data = card_to_dict(default_cards()["seizure"])
    data["forbidden"] = [{"pattern": "(unclosed", "why": "x"}]
    with pytest.raises(CardError, match="seizure: bad pattern"):
        card_from_dict(data)
