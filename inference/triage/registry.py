"""Choose an urgency classifier by name: the one switch settings and commands turn."""

from __future__ import annotations

from pathlib import Path

from inference.triage.base import UrgencyClassifier

CLASSIFIER_KINDS = ("encoder", "prompted")


def load_classifier(kind: str, *, encoder_dir: Path, lm_dir: Path,
                    device: str | None = None, red_flags: bool = True) -> UrgencyClassifier:
    """``encoder``: the fine-tuned MiniLM artefact in ``encoder_dir`` (fast; the default).
    ``prompted``: any local causal LM in ``lm_dir``, scoring the five labels by log-probability
    (on a GPU, point it at a larger instruction model).

    Either way the red-flag layer (``red_flags.py``) sits on top unless ``red_flags`` is False:
    the site, ``triage_eval`` and ``classify`` all act on the same levels."""
    classifier: UrgencyClassifier
    if kind == "encoder":
        from inference.triage.encoder_classifier import EncoderClassifier
        classifier = EncoderClassifier.load(encoder_dir)
    elif kind == "prompted":
        from inference.triage.prompted_classifier import PromptedLMClassifier
        classifier = PromptedLMClassifier(lm_dir, device=device)
    else:
        raise ValueError(f"unknown classifier {kind!r}; choose from {', '.join(CLASSIFIER_KINDS)}")
    if not red_flags:
        return classifier
    from inference.triage.red_flags import RedFlagClassifier
    return RedFlagClassifier(classifier)
