"""Choose an urgency classifier by name: the one switch settings and commands turn."""

from __future__ import annotations

from pathlib import Path

from inference.triage.base import UrgencyClassifier

CLASSIFIER_KINDS = ("encoder", "prompted")


def load_classifier(kind: str, *, encoder_dir: Path, lm_dir: Path,
                    device: str | None = None) -> UrgencyClassifier:
    """``encoder``: the fine-tuned MiniLM artefact in ``encoder_dir`` (fast; the default).
    ``prompted``: any local causal LM in ``lm_dir``, scoring the five labels by log-probability
    (on a GPU, point it at a larger instruction model)."""
    if kind == "encoder":
        from inference.triage.encoder_classifier import EncoderClassifier
        return EncoderClassifier.load(encoder_dir)
    if kind == "prompted":
        from inference.triage.prompted_classifier import PromptedLMClassifier
        return PromptedLMClassifier(lm_dir, device=device)
    raise ValueError(f"unknown classifier {kind!r}; choose from {', '.join(CLASSIFIER_KINDS)}")
