"""Output-length prediction for the scheduler: the interface, the per-level baselines, evaluation.

The learned predictor (``inference.learned_length``) reads the request; the baselines here know
only its level. ``LevelBaselinePredictor`` is the hand-set one the product used before the
response model existed; ``LevelMedianPredictor`` is the fair one-length-per-level baseline, the
median real reply length of each level. Both answer in the reference's 50-token buckets (bucket
midpoints) or as medians: with one value per level, every call of a level is predicted the same,
so "shortest predicted work first" inside a level falls back to arrival order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Protocol

from inference.levels import NUM_LEVELS
from inference.triage.evaluation import LabelledCall

BUCKET_WIDTH_TOKENS = 50


class LengthPredictor(Protocol):
    """Anything that guesses how many tokens the reply to each call will take."""

    def predict(self, texts: Sequence[str], priorities: Sequence[int]) -> list[int]:
        """Predicted output tokens per call, given its transcript and its (predicted) level."""
        ...


def bucket(tokens: int, width: int = BUCKET_WIDTH_TOKENS) -> int:
    """Index of the ``width``-token bucket holding ``tokens``: 0..49 -> 0, 50..99 -> 1, ..."""
    if width < 1:
        raise ValueError(f"bucket width must be >= 1, got {width}")
    if tokens < 0:
        raise ValueError(f"token count must be >= 0, got {tokens}")
    return tokens // width


def bucket_midpoint(index: int, width: int = BUCKET_WIDTH_TOKENS) -> int:
    """Middle of bucket ``index`` (25, 75, 125, ... for width 50): the least-biased point guess."""
    return index * width + width // 2


LEVEL_BASE_TOKENS: Mapping[int, int] = {0: 330, 1: 260, 2: 190, 3: 130, 4: 90}
"""Typical reply length per level, in tokens, before the transcript term.

0: step-by-step first-aid coaching (CPR rhythm, recovery position, bleeding control)
   plus "stay on the line" checks, the longest replies.
1: what to do and watch for until the ambulance arrives (aspirin, positioning, signs
   that it is getting worse).
2: a few instructions (nothing to eat or drink, what to bring, when to call back).
3: brief self-care and where to go (urgent care, a GP, a pharmacy).
4: a short answer or a redirection (pharmacist, opening hours, repeat prescription).
All sit inside the reference workload's 1..499 output tokens, whose mean is 250."""

TOKENS_PER_TRANSCRIPT_WORD = 0.5
"""Longer calls mention more details for the reply to address; half a token a word."""
MAX_TRANSCRIPT_TOKENS = 100
"""Cap on that term, so a rambling call cannot outgrow the level's reply style."""


@dataclass(frozen=True)
class LevelBaselinePredictor:
    """``LEVEL_BASE_TOKENS[level] + min(0.5 * words, 100)``, reported as its bucket's midpoint."""

    base_tokens: Mapping[int, int] = field(default_factory=lambda: dict(LEVEL_BASE_TOKENS))
    tokens_per_word: float = TOKENS_PER_TRANSCRIPT_WORD
    max_transcript_tokens: int = MAX_TRANSCRIPT_TOKENS
    width: int = BUCKET_WIDTH_TOKENS

    def __post_init__(self) -> None:
        if sorted(self.base_tokens) != list(range(NUM_LEVELS)):
            raise ValueError(f"base_tokens needs exactly the levels 0..{NUM_LEVELS - 1}")

    def predict(self, texts: Sequence[str], priorities: Sequence[int]) -> list[int]:
        if len(texts) != len(priorities):
            raise ValueError(f"{len(texts)} texts but {len(priorities)} priorities")
        predictions = []
        for text, priority in zip(texts, priorities):
            extra = min(self.tokens_per_word * len(text.split()), self.max_transcript_tokens)
            raw = round(self.base_tokens[priority] + extra)
            predictions.append(bucket_midpoint(bucket(raw, self.width), self.width))
        return predictions


@dataclass(frozen=True)
class LevelMedianPredictor:
    """The median real reply length of each level (``fit`` on measured lengths)."""

    tokens_by_level: Mapping[int, int]

    @classmethod
    def fit(cls, priorities: Sequence[int], output_tokens: Sequence[int]) -> LevelMedianPredictor:
        by_level: dict[int, list[int]] = {}
        for priority, tokens in zip(priorities, output_tokens, strict=True):
            by_level.setdefault(priority, []).append(tokens)
        overall = int(median(output_tokens))
        return cls({lv: int(median(by_level[lv])) if lv in by_level else overall for lv in range(NUM_LEVELS)})

    def predict(self, texts: Sequence[str], priorities: Sequence[int]) -> list[int]:
        if len(texts) != len(priorities):
            raise ValueError(f"{len(texts)} texts but {len(priorities)} priorities")
        return [self.tokens_by_level[priority] for priority in priorities]


def evaluate_lengths(predictor: LengthPredictor, rows: Sequence[LabelledCall],
                     width: int = BUCKET_WIDTH_TOKENS) -> dict[str, float | int | None]:
    """Mean absolute error, same-bucket rate and Kendall's tau-b over the rows that know their
    ``output_tokens``.

    Rows give their true level, so this measures the length model alone, not the classifier's
    mistakes. Tau is what shortest-predicted-first needs: how often two calls are put in the
    right order (ties count as neither; None when either side is constant). With no such rows
    every figure is None and count is 0.
    """
    known = [row for row in rows if row.output_tokens is not None]
    if not known:
        return {"mae_tokens": None, "bucket_accuracy": None, "kendall_tau": None, "count": 0}
    predicted = predictor.predict([r.text for r in known], [r.priority for r in known])
    true = [r.output_tokens for r in known if r.output_tokens is not None]
    mae = sum(abs(p - t) for p, t in zip(predicted, true)) / len(known)
    same = sum(bucket(p, width) == bucket(t, width) for p, t in zip(predicted, true))
    return {"mae_tokens": mae, "bucket_accuracy": same / len(known),
            "kendall_tau": kendall_tau(predicted, true), "count": len(known)}


def kendall_tau(predicted: Sequence[float], true: Sequence[float]) -> float | None:
    """Kendall's tau-b (scipy), None where it is undefined (a constant side, fewer than 2 rows)."""
    from scipy.stats import kendalltau

    if len(set(predicted)) < 2 or len(set(true)) < 2:
        return None
    return float(kendalltau(predicted, true).statistic)
