"""Labelled calls and how well a classifier rates them: reading JSONL, confusion-matrix metrics.

Metric functions are pure (lists in, numbers out) so they can be checked on
hand-computed matrices. Levels are 0..4 with 0 the most urgent, so "under-triage"
(the dangerous error) is a predicted level number greater than the true one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from inference.levels import NUM_LEVELS
from inference.triage.base import UrgencyClassifier

CRITICAL_LEVELS = (0, 1)
"""True levels whose under-triage the targets bound: immediate and emergent calls."""

Confusion = list[list[int]]
"""NUM_LEVELS x NUM_LEVELS counts: rows are the true level, columns the predicted one."""


class DatasetError(ValueError):
    """A malformed corpus line; the one-line message names the file and line number."""


@dataclass(frozen=True)
class LabelledCall:
    """One corpus row: a transcript, its true level, and (when known) the reply length."""

    text: str
    priority: int
    output_tokens: int | None = None
    id: str | None = None
    """Row id, the only thing progress logs may name (never the text)."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_row(raw: object) -> LabelledCall:
    """One decoded JSON value as a LabelledCall, or ValueError saying what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError(f"expected a JSON object, got {type(raw).__name__}")
    text, priority = raw.get("text"), raw.get("priority")
    if not isinstance(text, str):
        raise ValueError("'text' must be a string")
    if not _is_int(priority) or not 0 <= priority < NUM_LEVELS:
        raise ValueError(f"'priority' must be an integer in 0..{NUM_LEVELS - 1}, got {priority!r}")
    output_tokens = raw.get("output_tokens")
    if output_tokens is not None and (not _is_int(output_tokens) or output_tokens < 0):
        raise ValueError(f"'output_tokens' must be a non-negative integer, got {output_tokens!r}")
    row_id = raw.get("id")
    return LabelledCall(text, priority, output_tokens, row_id if isinstance(row_id, str) else None)


def read_jsonl(path: Path | str) -> list[LabelledCall]:
    """Every non-blank line of ``path`` as a LabelledCall; the first bad line raises DatasetError."""
    path = Path(path)
    rows: list[LabelledCall] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                rows.append(_parse_row(json.loads(line)))
            except ValueError as error:  # json.JSONDecodeError is a ValueError too
                reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                raise DatasetError(f"{path}:{number}: {reason}") from None
    return rows


def confusion_matrix(true: Sequence[int], predicted: Sequence[int]) -> Confusion:
    """Counts of (true, predicted) pairs; both sequences hold levels 0..4."""
    if len(true) != len(predicted):
        raise ValueError(f"{len(true)} true levels but {len(predicted)} predictions")
    matrix = [[0] * NUM_LEVELS for _ in range(NUM_LEVELS)]
    for t, p in zip(true, predicted):
        matrix[t][p] += 1
    return matrix


def _ratio(numerator: float, denominator: float) -> float:
    """0.0 for an empty denominator: no calls means no errors, not NaN in a report."""
    return numerator / denominator if denominator else 0.0


def accuracy(confusion: Confusion) -> float:
    total = sum(map(sum, confusion))
    return _ratio(sum(confusion[k][k] for k in range(len(confusion))), total)


def per_level(confusion: Confusion) -> list[dict[str, float]]:
    """Precision, recall, F1 and support of each level (0.0 where undefined)."""
    scores = []
    for k in range(len(confusion)):
        tp = confusion[k][k]
        predicted = sum(row[k] for row in confusion)
        support = sum(confusion[k])
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        f1 = _ratio(2 * tp, predicted + support)  # = 2PR/(P+R), defined when P+R is 0
        scores.append({"precision": precision, "recall": recall, "f1": f1, "support": support})
    return scores


def macro_f1(confusion: Confusion) -> float:
    """Unweighted mean of the per-level F1: every level counts, however rare."""
    return sum(level["f1"] for level in per_level(confusion)) / len(confusion)


def under_triage_rate(confusion: Confusion, true_levels: Sequence[int] | None = None) -> float:
    """Share of calls (with a true level in ``true_levels``, default all) predicted less urgent."""
    levels = range(len(confusion)) if true_levels is None else true_levels
    under = sum(confusion[t][p] for t in levels for p in range(t + 1, len(confusion)))
    return _ratio(under, sum(sum(confusion[t]) for t in levels))


def over_triage_rate(confusion: Confusion) -> float:
    """Share of all calls predicted more urgent than they are (costly, not dangerous)."""
    over = sum(confusion[t][p] for t in range(len(confusion)) for p in range(t))
    return _ratio(over, sum(map(sum, confusion)))


def triage_metrics(true: Sequence[int], predicted: Sequence[int]) -> dict[str, object]:
    """The figures every report shows for one set of predictions."""
    confusion = confusion_matrix(true, predicted)
    return {
        "count": len(true),
        "accuracy": accuracy(confusion),
        "macro_f1": macro_f1(confusion),
        "under_triage_rate": under_triage_rate(confusion),
        "under_triage_rate_critical": under_triage_rate(confusion, CRITICAL_LEVELS),
        "over_triage_rate": over_triage_rate(confusion),
        "confusion": confusion,
        "per_level": per_level(confusion),
    }


def argmax(probabilities: Sequence[float]) -> int:
    """Most likely level; a tie goes to the more urgent (lower) level."""
    return max(range(len(probabilities)), key=lambda k: (probabilities[k], -k))


def evaluate(classifier: UrgencyClassifier, rows: Sequence[LabelledCall],
             batch_size: int = 64) -> dict[str, object]:
    """Metrics of the levels acted on, plus ``argmax`` (the most likely level alone) and, when a
    red-flag layer is on top, ``without_red_flags`` (the model's decision rule alone) and
    ``num_raised_by_red_flags``."""
    true = [row.priority for row in rows]
    acted: list[int] = []
    raw: list[int] = []
    model: list[int | None] = []
    start = time.perf_counter()
    for offset in range(0, len(rows), batch_size):
        batch = classifier.classify([row.text for row in rows[offset:offset + batch_size]])
        acted.extend(triage.priority for triage in batch)
        raw.extend(argmax(triage.probabilities) for triage in batch)
        model.extend(triage.model_priority for triage in batch)
    elapsed_s = time.perf_counter() - start
    metrics = triage_metrics(true, acted)
    metrics["calls_per_s"] = _ratio(len(rows), elapsed_s)
    metrics["argmax"] = triage_metrics(true, raw)
    if rows and all(level is not None for level in model):
        model_levels = [int(level) for level in model]  # type: ignore[arg-type]
        metrics["without_red_flags"] = triage_metrics(true, model_levels)
        metrics["num_raised_by_red_flags"] = sum(a < m for a, m in zip(acted, model_levels))
    return metrics
