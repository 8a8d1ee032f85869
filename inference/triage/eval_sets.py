"""The evaluation sets by name: the corpus's test split and the independent hand-written set.

The independent set (``inference/data/triage_eval_independent/``) is written by a different
method from the training corpus and is never trained or tuned on; see its README.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from inference.levels import NUM_LEVELS
from inference.triage.evaluation import DatasetError, LabelledCall, read_jsonl

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
CORPUS_DIR = DATA_DIR / "triage_corpus"
INDEPENDENT_SET = DATA_DIR / "triage_eval_independent" / "independent.jsonl"
INDEPENDENT_PER_LEVEL = 50


def eval_set_paths(corpus_dir: Path = CORPUS_DIR) -> dict[str, Path]:
    """Short names for ``triage_eval --data``: ``test`` and ``independent``."""
    return {"test": Path(corpus_dir) / "test.jsonl", "independent": INDEPENDENT_SET}


def read_independent_set(path: Path = INDEPENDENT_SET) -> list[LabelledCall]:
    """The independent set's rows, refusing a file that lost its balance (50 calls per level)."""
    rows = read_jsonl(path)
    counts = Counter(row.priority for row in rows)
    if any(counts[level] != INDEPENDENT_PER_LEVEL for level in range(NUM_LEVELS)):
        raise DatasetError(f"{path}: expected {INDEPENDENT_PER_LEVEL} calls per level, got "
                           f"{dict(sorted(counts.items()))}")
    return rows
