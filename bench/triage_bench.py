"""Benchmark: urgency classification throughput (calls/s) on this machine, batched and one by one.

    python bench/triage_bench.py [--repeats 3]

Needs the trained artefact (`python manage.py train_triage`). The classifier is the loaded
default (the encoder with the red-flag layer on top, as the site uses it); the red-flag rules
alone are timed too. The baseline, measured in the same run, is classifying calls one at a
time, as a naive per-call service would. The learned length predictor (``models/length``) is timed
one call at a time, as intake runs it, alone and with the rating (a call's whole intake).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine  # noqa: E402
from inference.learned_length import LearnedLengthPredictor  # noqa: E402
from inference.model_store import default_models_dir  # noqa: E402
from inference.triage.base import UrgencyClassifier  # noqa: E402
from inference.triage.encoder_classifier import DEFAULT_ARTEFACT_DIR  # noqa: E402
from inference.triage.evaluation import read_jsonl  # noqa: E402
from inference.triage.red_flags import find_red_flags  # noqa: E402
from inference.triage.registry import load_classifier  # noqa: E402
from inference.triage.training import DEFAULT_CORPUS_DIR  # noqa: E402

BATCH = 64


def calls_per_s(classifier: UrgencyClassifier, texts: list[str], batch: int, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for i in range(0, len(texts), batch):
            classifier.classify(texts[i:i + batch])
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def one_at_a_time_per_s(rate_one: Callable[[str], object], texts: list[str], repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for text in texts:
            rate_one(text)
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    classifier = load_classifier("encoder", encoder_dir=DEFAULT_ARTEFACT_DIR, lm_dir=Path("unused"))
    texts = [row.text for row in read_jsonl(DEFAULT_CORPUS_DIR / "test.jsonl")]
    single = calls_per_s(classifier, texts[:100], 1, args.repeats)
    batched = calls_per_s(classifier, texts, BATCH, args.repeats)
    started = time.perf_counter()
    for text in texts:
        find_red_flags(text)
    rules_only = len(texts) / (time.perf_counter() - started)
    print(f"machine: {machine()}")
    print(f"command: python bench/triage_bench.py --repeats {args.repeats}  (median, wall time)")
    print(f"classifier {classifier.name}, {len(texts)} test-split calls")
    print(f"{'one call at a time':24s} {single:8.1f} calls/s")
    print(f"{f'batches of {BATCH}':24s} {batched:8.1f} calls/s   ({batched / single:.1f}x)")
    print(f"{'red-flag rules alone':24s} {rules_only:8.0f} calls/s")
    lengths = LearnedLengthPredictor.load(default_models_dir() / "length", models_dir=default_models_dir())
    def predict_uncached(text: str, priority: int) -> list[int]:
        lengths.cache_clear()  # the model's cost, as for a call never seen before
        return lengths.predict([text], [priority])

    length_only = one_at_a_time_per_s(lambda text: predict_uncached(text, 2), texts[:100], args.repeats)
    intake = one_at_a_time_per_s(
        lambda text: predict_uncached(text, classifier.classify([text])[0].priority), texts[:100], args.repeats)
    print(f"{'length (' + lengths.text_features.kind + ') alone':24s} {length_only:8.1f} calls/s   (one at a time)")
    print(f"{'intake: rating + length':24s} {intake:8.1f} calls/s   (one at a time)")


if __name__ == "__main__":
    main()
