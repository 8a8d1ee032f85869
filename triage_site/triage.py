"""The process's urgency classifier and length predictor, loaded once and kept."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from inference.length_predictor import LengthPredictor, default_length_predictor
from inference.triage.base import UrgencyClassifier
from inference.triage.registry import load_classifier


def load_configured_classifier(kind: str | None = None, *, red_flags: bool = True) -> UrgencyClassifier:
    """The classifier of ``kind`` (default: TRIAGE_CLASSIFIER) with the configured model dirs,
    with the red-flag layer on top unless ``red_flags`` is False."""
    return load_classifier(kind or settings.TRIAGE_CLASSIFIER, encoder_dir=settings.TRIAGE_ENCODER_DIR,
                           lm_dir=settings.TRIAGE_LM_DIR, red_flags=red_flags)


@lru_cache(maxsize=1)
def get_classifier() -> UrgencyClassifier:
    """Loading a model takes seconds; every task in this process shares one."""
    return load_configured_classifier()


@lru_cache(maxsize=1)
def get_length_predictor() -> LengthPredictor:
    return default_length_predictor()
