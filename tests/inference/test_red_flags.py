"""Red flags raise a call when the caller answers a key question "yes", and not when they say "no"."""

from __future__ import annotations

import pytest

from inference.triage.base import Triage
from inference.triage.red_flags import RED_FLAGS, RedFlag, RedFlagClassifier, find_red_flags, red_flag_level


def names(text: str) -> set[str]:
    return {hit.name for hit in find_red_flags(text)}


@pytest.mark.parametrize("text, flag, level", [
    ("He collapsed and he is not breathing", "not_breathing", 0),
    ("my mum isnt breathing i dont know what to do", "not_breathing", 0),
    ("She isn't breathing, her lips are going blue", "not_breathing", 0),
    ("We can't find a pulse, my husband is doing CPR", "not_breathing", 0),
    ("Grandad is unresponsive on the kitchen floor", "unconscious", 0),
    ("He won't wake up and he's snoring strangely", "unconscious", 0),
    ("The blood is spurting out of his leg", "arterial_bleeding", 0),
    ("Her tongue is swelling up after the prawns", "airway_swelling", 0),
    ("He's choking on a sweet and can't breathe or cough", "choking_complete", 0),
    ("She's been fitting for fifteen minutes and it isn't stopping", "status_epilepticus", 0),
    ("I've got a crushing pain in my chest", "chest_pain", 1),
    ("My dad's face has dropped on one side and his speech is slurred", "stroke", 1),
    ("I can't breathe properly, I can only say a few words", "breathing_difficulty", 1),
    ("My son swallowed a button battery", "overdose", 1),
    ("I want to kill myself tonight", "self_harm", 1),
    ("My six-week-old baby has a temperature of 38.4", "young_infant_fever", 1),
    ("Nan's on warfarin and she banged her head on the door", "head_injury_anticoagulant", 1),
    ("I'm 12 weeks pregnant and bleeding quite a lot", "pregnancy_emergency", 1),
])
def test_a_yes_to_a_key_question_raises_its_flag(text: str, flag: str, level: int) -> None:
    assert flag in names(text)
    assert red_flag_level(text) is not None and red_flag_level(text) <= level


@pytest.mark.parametrize("text", [
    "He's breathing fine, no chest pain, just a sore wrist",
    "No chest pain or shortness of breath, I only need my repeat prescription",
    "She didn't pass out and she's not unconscious, she just cut her finger",
    "He's awake and talking, he hit his knee",
    "He's not breathing through his nose very well because of his cold",
    "I can't breathe through my nose with this cold",
    "I nearly had a heart attack when I saw the bill, anyway it's about a splinter",
    "I thought I'd have a stroke when I saw the price of parking; I want a flu jab",
    "I choked on my tea earlier but I'm fine, I'm ringing about a rash",
    "The kids were playing a game of pretend they're unconscious, one grazed his knee",
    "Adult tooth knocked out, no head injury",
    "Heavy bleeding with my period, not pregnant",
    "What should I do if he stops breathing in his sleep?",
    "Fish bone stuck in my throat, I can breathe and swallow fine",
])
def test_a_no_or_a_figure_of_speech_raises_nothing(text: str) -> None:
    assert names(text) == set(), names(text)


def test_a_clause_break_ends_the_negation() -> None:
    assert "chest_pain" not in names("No fever, no chest pain")
    assert "breathing_difficulty" in names("No chest pain but he can't breathe")


def test_a_threat_the_caller_says_is_over_raises_to_emergent_not_immediate() -> None:
    assert red_flag_level("He was out cold for a bit, he's awake now but confused") == 1
    assert red_flag_level("He is out cold on the floor") == 0


def test_every_flag_names_its_protocol_question_and_raises_only_to_0_or_1() -> None:
    assert len({flag.name for flag in RED_FLAGS}) == len(RED_FLAGS)
    for flag in RED_FLAGS:
        assert flag.question.endswith("?") and flag.level in (0, 1)
    with pytest.raises(ValueError):
        RedFlag("bad", "Is it bad?", 2, "bad")


class _Fixed:
    """A classifier that always says level ``level``."""

    name = "fixed"

    def __init__(self, level: int) -> None:
        self.level = level
        self.model = "the wrapped model"

    def classify(self, texts):
        probabilities = tuple(1.0 if k == self.level else 0.0 for k in range(5))
        return [Triage(priority=self.level, probabilities=probabilities, classifier=self.name) for _ in texts]


def test_the_layer_only_ever_raises_urgency() -> None:
    texts = ["he is not breathing", "I've got chest pain", "a splinter in my finger"]
    for model_level in range(5):
        for text, triage in zip(texts, RedFlagClassifier(_Fixed(model_level)).classify(texts)):
            assert triage.priority <= model_level
            assert triage.model_priority == model_level
    calm, chest, splinter = RedFlagClassifier(_Fixed(3)).classify(texts)
    assert (calm.priority, chest.priority, splinter.priority) == (0, 1, 3)
    assert chest.red_flags == ("chest_pain",) and splinter.red_flags == ()
    assert RedFlagClassifier(_Fixed(0)).classify(texts)[1].priority == 0  # never lowered


def test_the_layer_passes_the_wrapped_classifier_through() -> None:
    layered = RedFlagClassifier(_Fixed(2))
    assert layered.model == "the wrapped model"  # the cards' complaint head reaches the encoder so
    assert layered.name == "fixed+red-flags"


def test_an_injury_in_the_same_sentence_excuses_a_weak_arm_but_not_a_stroke_elsewhere() -> None:
    assert "stroke" not in names("I fell off my bike and I can't move my arm, my shoulder looks wrong")
    assert "stroke" in names("He suddenly can't lift his arm and his speech is slurred")
    assert "stroke" in names("She fell last year. Now she suddenly can't lift her arm")
