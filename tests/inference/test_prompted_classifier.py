"""Prompted LM classifier: answer log-probabilities computed right, batched or not, on a tiny random Llama."""

from __future__ import annotations

import math

import pytest
import torch

from inference.levels import LEVELS
from inference.model_store import build_tiny_causal_lm, smollm2_tokenizer
from inference.triage.base import MAX_CALL_TEXT_CHARS, InvalidCallText
from inference.triage.prompted_classifier import ANSWERS, PromptedLMClassifier, build_prompt, split_answers

TEXTS = [
    "My husband collapsed and he isn't breathing. Please hurry!",
    "Hi, I need a repeat prescription for my inhaler, no rush at all.",
    # A leading quote merges with the prompt's opening """, so less of the cached prefix is shared.
    '"He just fell off the ladder," my neighbour says, and his wrist looks bent.',
    "Sorry to bother you. My daughter, she's four, swallowed some of her gran's tablets maybe twenty "
    "minutes ago. She seems fine now but I don't know how many.",
    "  Chest pain for an hour, going down my left arm.  ",
]


@pytest.fixture(scope="module")
def tokenizer():
    return smollm2_tokenizer()


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory, tokenizer):
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-llama"), tokenizer=tokenizer)


@pytest.fixture(scope="module")
def classifier(tiny_dir):
    return PromptedLMClassifier(tiny_dir, device="cpu", batch_size=2)


def slow_answer_log_probs(model, tokenizer, text: str) -> list[float]:
    """The obvious way: run prompt + answer in full for each answer; add up the answer tokens' log-probs."""
    prompt = build_prompt(tokenizer, text.strip())
    prompt_ids = tokenizer(prompt, add_special_tokens=not tokenizer.chat_template).input_ids
    scores = []
    for answer in ANSWERS:
        answer_ids = tokenizer(answer, add_special_tokens=False).input_ids
        ids = torch.tensor([prompt_ids + answer_ids])
        with torch.no_grad():
            logits = model(input_ids=ids, use_cache=False).logits[0, len(prompt_ids) - 1:-1]
        log_probs = torch.log_softmax(logits.double(), dim=-1)  # row j predicts answer token j
        scores.append(sum(log_probs[j, token].item() for j, token in enumerate(answer_ids)))
    return scores


def test_probabilities_sum_to_one(classifier, tiny_dir):
    triages = classifier.classify(TEXTS)
    assert len(triages) == len(TEXTS)
    for triage in triages:
        assert math.isclose(sum(triage.probabilities), 1.0, abs_tol=1e-9)
        assert all(0.0 < p < 1.0 for p in triage.probabilities)
        assert triage.priority in range(len(LEVELS))
        assert triage.classifier == f"prompted:{tiny_dir.name}"


@pytest.mark.parametrize("text", [TEXTS[0], TEXTS[2]])
def test_label_scores_are_the_answer_log_probs(classifier, text):
    expected = slow_answer_log_probs(classifier.model, classifier.tokenizer, text)
    assert classifier.label_log_probs([text])[0] == pytest.approx(expected, abs=1e-4)


def test_batching_gives_the_same_scores_in_the_same_order(classifier):
    batched = classifier.label_log_probs(TEXTS)
    for text, scores in zip(TEXTS, batched):
        assert scores == pytest.approx(classifier.label_log_probs([text])[0], abs=1e-4)


def test_no_texts_no_triages(classifier):
    assert classifier.classify([]) == []


@pytest.mark.parametrize("bad", ["", "   \n", None, 42, "x" * (MAX_CALL_TEXT_CHARS + 1)])
def test_bad_text_is_refused(classifier, bad):
    with pytest.raises(InvalidCallText):
        classifier.classify([TEXTS[0], bad])


def test_prompt_carries_every_level_definition_and_the_call(tokenizer):
    prompt = build_prompt(tokenizer, TEXTS[1])
    assert all(level.definition in prompt for level in LEVELS)
    assert TEXTS[1] in prompt
    assert prompt.endswith("<|im_start|>assistant\nLevel")


def test_a_model_without_chat_template_gets_a_plain_prompt(tmp_path, tokenizer):
    model_dir = build_tiny_causal_lm(tmp_path, tokenizer=tokenizer)
    (model_dir / "chat_template.jinja").unlink()
    plain = PromptedLMClassifier(model_dir, device="cpu")
    assert not plain.tokenizer.chat_template
    prompt = build_prompt(plain.tokenizer, TEXTS[0])
    assert "<|im_start|>" not in prompt and prompt.endswith("Answer: Level")
    assert plain.label_log_probs([TEXTS[0]])[0] == pytest.approx(
        slow_answer_log_probs(plain.model, plain.tokenizer, TEXTS[0]), abs=1e-4)


def test_answers_must_differ_only_in_their_last_token(tokenizer):
    with pytest.raises(ValueError, match="last token"):
        split_answers(tokenizer, [" 0", " 0", " 2", " 3", " 4"])
