"""The checker on hand-written replies: good ones pass, the trial's harmful ones are caught."""

from __future__ import annotations

import pytest

from inference.cards.checker import check_reply
from inference.cards.library import default_cards

CARDS = default_cards()

GOOD = [
    ("cardiac_arrest", "Lay him flat on his back on the floor. Put the heel of one hand in the centre of his chest "
                       "and your other hand on top. Push down hard and fast, twice a second, and do not stop "
                       "until the ambulance crew takes over."),
    ("choking", "If she can cough, tell her to keep coughing. If she cannot, lean her forward and give 5 sharp "
                "back blows between the shoulder blades. Then give 5 abdominal thrusts, pulling inwards and upwards."),
    ("severe_bleeding", "Press firmly on the wound with a clean towel and keep pressing. If blood soaks through, "
                        "put more cloth on top. Do not lift it off to look."),
    ("diabetic", "He is awake, so give him something sugary now, like fruit juice or sweets. Have him sit down."),
    ("burns", "Cool the burn under cool running water for 20 minutes. Do not put ice or butter on it."),
]

BAD = [  # from the trial in the issue, and their kin
    ("cardiac_arrest", "1. Get medical assistance immediately. 2. Call 911. 3. Stay at a hospital.",
     "phone for help"),
    ("choking", "I'm sorry for your loss, but as a medical emergency dispatcher, I don't have the capability "
                "to provide medical assistance.", "apologises for a loss"),
    ("cardiac_arrest", "1. 1. 1. 1. 2. 3. 4. 5.", "number-only lines"),
    ("diabetic", "1. Check the vehicle's emergency kit. 2. Check the road. 3. Get a map. 4. Get a flashlight.",
     "goes beyond the card"),
    ("severe_bleeding", "Press firmly on the wound. Get a CT scan. Get a blood transfusion.",
     "procedure that is not on the card"),
    ("seizure", "Do not hold her down. Put a spoon in her mouth so she does not bite her tongue.",
     "contradicts the card"),
    ("burns", "Cool the burn under running water, then put some butter on it.", "contradicts the card"),
    ("cardiac_arrest", "Stay with him and keep him calm until the ambulance arrives.", "key action"),
    ("cardiac_arrest", "Push hard and fast in the centre of the chest.\nPush hard and fast in the centre of the chest.",
     "repeated lines"),
]


@pytest.mark.parametrize(("card_id", "reply"), GOOD)
def test_a_reply_that_says_the_card_passes(card_id, reply):
    result = check_reply(reply, [CARDS[card_id]])
    assert result.passed, result.reasons


@pytest.mark.parametrize(("card_id", "reply", "reason"), BAD)
def test_a_harmful_or_broken_reply_fails_with_a_reason_a_dispatcher_can_read(card_id, reply, reason):
    result = check_reply(reply, [CARDS[card_id]])
    assert not result.passed
    assert any(reason in text for text in result.reasons), result.reasons


def test_a_cut_reply_always_fails_and_is_marked_cut():
    reply = GOOD[0][1]
    result = check_reply(reply, [CARDS["cardiac_arrest"]], finish_reason="length")
    assert not result.passed and result.cut and "cut at the length cap" in result.reasons


def test_a_reply_ending_mid_word_fails():
    result = check_reply("Push down hard and fast in the centre of the chest. Check the patient's em",
                         [CARDS["cardiac_arrest"]])
    assert "ends mid-sentence" in result.reasons


def test_the_callers_own_words_are_not_beyond_the_card():
    call = "My grandad fell off the ladder in the garage and hurt his back."
    reply = "Do not move your grandad: keep him still where he is in the garage, and keep him warm with a coat."
    assert check_reply(reply, [CARDS["falls_head_injury"]], call_text=call).passed
