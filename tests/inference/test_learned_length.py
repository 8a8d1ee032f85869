"""The learned length predictor: it learns which requests get long replies, and survives a save."""

from __future__ import annotations

import random

import numpy as np
import pytest

from inference.learned_length import (LearnedLengthPredictor, LengthModelNotFound, MiniLMFeatures,
                                      decile_medians, messages_text, train_length_predictor)
from inference.length_predictor import LevelMedianPredictor, evaluate_lengths
from inference.triage.evaluation import LabelledCall

SHORT = ["Is the pharmacy on {} street open on Sunday?", "What time does the {} clinic close?",
         "Can I get my repeat prescription at {}?", "Where do I park at {} surgery?"]
LONG = ["Please explain step by step everything I should do for my {} who has a bad burn on the arm.",
        "Tell me in detail how to look after my {} after the fall, what to watch for and when to worry.",
        "Walk me through all the first aid for my {} who cut his hand deeply on glass.",
        "Give me every instruction for caring for my {} with a high fever overnight."]
NAMES = ["grandfather", "daughter", "neighbour", "husband", "Elm", "Oak", "Mill", "Park", "Bridge", "Hill"]


def rows(seed: int, count: int) -> list[LabelledCall]:
    """Calls whose reply length depends on what is asked, not on the level (which is random)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        long = rng.random() < 0.5
        text = rng.choice(LONG if long else SHORT).format(rng.choice(NAMES))
        tokens = rng.randint(110, 150) if long else rng.randint(15, 40)
        out.append(LabelledCall(text, rng.randrange(5), tokens))
    return out


@pytest.fixture(scope="module")
def minilm() -> MiniLMFeatures:
    return MiniLMFeatures()


@pytest.fixture(scope="module")
def trained(minilm) -> LearnedLengthPredictor:
    train = rows(0, 80)
    return train_length_predictor([r.text for r in train], [r.priority for r in train],
                                  [r.output_tokens for r in train], max_tokens=160, text_features=[minilm])


def test_it_ranks_unseen_requests_by_their_reply_length_where_levels_cannot(trained):
    test = rows(1, 40)
    learned = evaluate_lengths(trained, test)
    per_level = evaluate_lengths(LevelMedianPredictor.fit([r.priority for r in rows(0, 80)],
                                                          [r.output_tokens for r in rows(0, 80)]), test)
    assert learned["kendall_tau"] > 0.5
    assert per_level["kendall_tau"] is None or per_level["kendall_tau"] < 0.3
    assert learned["mae_tokens"] < per_level["mae_tokens"] / 2


def test_scores_become_the_median_length_of_their_decile_never_above_the_cap():
    scores = np.arange(100, dtype=float)
    tokens = [300 if i >= 50 else 40 + (i % 10) for i in range(100)]
    tokens[95] = 1  # one short reply among long ones cannot make a higher decile predict shorter
    edges, medians = decile_medians(scores, tokens, max_tokens=160)
    assert len(edges) == 9 and len(medians) == 10
    assert list(medians) == sorted(medians) and medians[-1] == 160 and medians[0] < 50


def test_a_higher_score_never_predicts_a_shorter_reply(trained):
    texts = [r.text for r in rows(4, 30)]
    levels = [r.priority for r in rows(4, 30)]
    order = np.argsort(trained.scores(texts, levels))
    predicted = np.array(trained.predict(texts, levels))[order]
    assert list(predicted) == sorted(predicted) and max(predicted) <= 160


def test_a_saved_model_predicts_the_same(trained, tmp_path):
    trained.save(tmp_path / "length")
    loaded = LearnedLengthPredictor.load(tmp_path / "length")
    texts = [r.text for r in rows(2, 6)]
    assert loaded.predict(texts, [0, 1, 2, 3, 4, 0]) == trained.predict(texts, [0, 1, 2, 3, 4, 0])
    assert loaded.metadata["max_tokens"] == 160 and loaded.metadata["rows"] == 80
    assert loaded.metadata["features"] == "minilm" and loaded.metadata["cross_validated_tau"]["minilm"] > 0.5


def test_training_keeps_the_features_that_rank_best_out_of_fold(minilm):
    """A feature set that only sees noise loses the cross-validation to one that reads the text."""
    class Noise:
        kind = "noise"

        def __call__(self, texts):
            return np.random.default_rng(len(texts)).normal(size=(len(texts), 8))

    # Every text padded to 25 words, so the word count (a feature of both) tells nothing.
    train = [LabelledCall(r.text + " ok" * (25 - len(r.text.split())), r.priority, r.output_tokens)
             for r in rows(3, 60)]
    chosen = train_length_predictor([r.text for r in train], [r.priority for r in train],
                                    [r.output_tokens for r in train], max_tokens=160,
                                    text_features=[Noise(), minilm])
    assert chosen.text_features.kind == "minilm"
    assert chosen.metadata["cross_validated_tau"]["noise"] < chosen.metadata["cross_validated_tau"]["minilm"]


def test_too_few_rows_are_refused(minilm):
    with pytest.raises(ValueError, match="too few"):
        train_length_predictor(["a"] * 19, [0] * 19, [5] * 19, max_tokens=160, text_features=[minilm])


def test_a_missing_model_says_how_to_build_it(tmp_path):
    with pytest.raises(LengthModelNotFound, match="prepare_models"):
        LearnedLengthPredictor.load(tmp_path)


def test_predictions_survive_the_cache_being_cleared_while_they_are_computed(trained):
    """Request threads share one predictor: another one clearing the cache mid-way loses nothing."""
    class ClearedMidway(LearnedLengthPredictor):
        def scores(self, texts, priorities):
            result = super().scores(texts, priorities)
            self.cache_clear()  # what a concurrent request filling the cache does
            return result

    clearing = ClearedMidway(trained.text_features, trained.coef, trained.intercept, edges=trained.edges,
                             tokens=trained.tokens)
    texts = [r.text for r in rows(5, 8)]
    clearing.predict(texts[:4], [1] * 4)  # kept in the cache
    assert clearing.predict(texts, [1] * 8) == trained.predict(texts, [1] * 8)


def test_a_model_read_with_other_features_says_to_retrain(trained):
    class Wider:
        kind = "wider"

        def __call__(self, texts):
            return np.zeros((len(texts), 1000))

    other = LearnedLengthPredictor(Wider(), trained.coef, trained.intercept, edges=trained.edges,
                                   tokens=trained.tokens)
    with pytest.raises(ValueError, match="trained with another model; retrain it"):
        other.predict(["a call"], [1])


def test_bad_levels_are_refused(trained):
    with pytest.raises(ValueError, match="priorities must be 0..4"):
        trained.predict(["a call"], [7])


def test_a_chat_is_read_as_all_its_turns():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Explain CPR"}]
    assert messages_text(messages) == "Be brief.\nHi\nHello\nExplain CPR"
