"""The process's urgency classifier and length predictor, loaded once and kept."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from inference.length_predictor import LengthPredictor, LevelBaselinePredictor
from inference.triage.base import UrgencyClassifier
from inference.triage.registry import load_classifier
from triage_site.settings.env import LENGTH_PREDICTOR_KINDS


def load_configured_classifier(kind: str | None = None, *, red_flags: bool = True) -> UrgencyClassifier:
    """The classifier of ``kind`` (default: TRIAGE_CLASSIFIER) with the configured model dirs,
    with the red-flag layer on top unless ``red_flags`` is False."""
    return load_classifier(kind or settings.TRIAGE_CLASSIFIER, encoder_dir=settings.TRIAGE_ENCODER_DIR,
                           lm_dir=settings.TRIAGE_LM_DIR, red_flags=red_flags)


def load_configured_length_predictor(kind: str | None = None) -> LengthPredictor:
    """The length predictor of ``kind`` (default: TRIAGE_LENGTH_PREDICTOR). The learned one raises
    ``LengthModelNotFound`` when it was not built, rather than silently predicting per level."""
    from inference.learned_length import LearnedLengthPredictor

    kind = kind or settings.TRIAGE_LENGTH_PREDICTOR
    if kind == "learned":
        return LearnedLengthPredictor.load(settings.TRIAGE_LENGTH_DIR, models_dir=settings.MODELS_DIR)
    if kind == "level-baseline":
        return LevelBaselinePredictor()
    raise ValueError(f"TRIAGE_LENGTH_PREDICTOR must be one of {LENGTH_PREDICTOR_KINDS}, got {kind!r}")


def reply_length_table() -> Path:
    """The shipped reply lengths of the configured response model, at the cap the engine applies."""
    from inference.reply_lengths import table_path
    return table_path(Path(settings.TRIAGE_LM_DIR).name, settings.TRIAGE_LENGTH_MAX_NEW_TOKENS)


@lru_cache(maxsize=1)
def get_classifier() -> UrgencyClassifier:
    """Loading a model takes seconds; every task in this process shares one."""
    return load_configured_classifier()


@lru_cache(maxsize=1)
def get_length_predictor() -> LengthPredictor:
    return load_configured_length_predictor()
