"""The trained artefact, when present, holds its measured quality on the held-out test split.

The issue's targets (macro-F1 >= 0.85, critical under-triage <= 3%) are not reached yet
(docs/BENCHMARKS.md says by how much); these bounds guard what is reached against regressions.
"""

from __future__ import annotations

import pytest

from inference.triage.encoder_classifier import DEFAULT_ARTEFACT_DIR, EncoderClassifier
from inference.triage.evaluation import evaluate, read_jsonl
from inference.triage.training import DEFAULT_CORPUS_DIR

MIN_MACRO_F1 = 0.78
MAX_CRITICAL_UNDER_TRIAGE = 0.12


@pytest.mark.slow
@pytest.mark.skipif(not (DEFAULT_ARTEFACT_DIR / "metadata.json").is_file(),
                    reason=f"no trained classifier at {DEFAULT_ARTEFACT_DIR}; "
                           "run `python manage.py train_triage` to test it")
def test_trained_classifier_holds_its_measured_quality_on_the_test_split() -> None:
    metrics = evaluate(EncoderClassifier.load(), read_jsonl(DEFAULT_CORPUS_DIR / "test.jsonl"))
    assert metrics["macro_f1"] >= MIN_MACRO_F1
    assert metrics["under_triage_rate_critical"] <= MAX_CRITICAL_UNDER_TRIAGE
    # The safety rule may only move calls towards urgency: never more under-triage than argmax.
    assert metrics["under_triage_rate_critical"] <= metrics["argmax"]["under_triage_rate_critical"]
    assert metrics["under_triage_rate"] <= metrics["argmax"]["under_triage_rate"]
