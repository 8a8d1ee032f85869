"""The trained default, when present, holds its measured quality on both evaluation sets.

The issue's targets (macro-F1 >= 0.85 and under-triage of true levels 0-1 <= 2% on calls the
corpus generator never produced) are not all met (docs/BENCHMARKS.md, "Urgency triage,
generalisation" says by how much); these bounds guard what is reached against regressions.
They are the measured figures less a margin for retraining noise (seed-to-seed, about 0.02
of macro-F1 on validation).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.triage.encoder_classifier import DEFAULT_ARTEFACT_DIR
from inference.triage.eval_sets import read_independent_set
from inference.triage.evaluation import evaluate, read_jsonl
from inference.triage.registry import load_classifier
from inference.triage.training import DEFAULT_CORPUS_DIR

BOUNDS = {  # set: (min macro-F1, max under-triage of true levels 0-1)
    "test": (0.81, 0.02),          # measured 0.837, 0.0%
    "independent": (0.77, 0.02),   # measured 0.800, 1.0%
}


def _rows(name: str):
    return read_jsonl(DEFAULT_CORPUS_DIR / "test.jsonl") if name == "test" else read_independent_set()


@pytest.mark.slow
@pytest.mark.skipif(not (DEFAULT_ARTEFACT_DIR / "metadata.json").is_file(),
                    reason=f"no trained classifier at {DEFAULT_ARTEFACT_DIR}; "
                           "run `python manage.py train_triage` to test it")
@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_the_default_classifier_holds_its_measured_quality(name: str) -> None:
    classifier = load_classifier("encoder", encoder_dir=DEFAULT_ARTEFACT_DIR, lm_dir=Path("unused"))
    metrics = evaluate(classifier, _rows(name))
    min_f1, max_under = BOUNDS[name]
    assert metrics["macro_f1"] >= min_f1
    assert metrics["under_triage_rate_critical"] <= max_under
    # The decision rule and the red flags may only move calls towards urgency.
    model = metrics["without_red_flags"]
    assert metrics["under_triage_rate"] <= model["under_triage_rate"]
    assert (metrics["under_triage_rate_critical"] <= model["under_triage_rate_critical"]
            <= metrics["argmax"]["under_triage_rate_critical"])
