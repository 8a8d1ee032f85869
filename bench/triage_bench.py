"""Benchmark: urgency classification throughput (calls/s) on this machine, batched and one by one.

    python bench/triage_bench.py [--repeats 3]

Needs the trained artefact (`python manage.py train_triage`). The baseline, measured in
the same run, is classifying calls one at a time, as a naive per-call service would.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine  # noqa: E402
from inference.triage.encoder_classifier import EncoderClassifier  # noqa: E402
from inference.triage.evaluation import read_jsonl  # noqa: E402
from inference.triage.training import DEFAULT_CORPUS_DIR  # noqa: E402

BATCH = 64


def calls_per_s(classifier: EncoderClassifier, texts: list[str], batch: int, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for i in range(0, len(texts), batch):
            classifier.classify(texts[i:i + batch])
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    classifier = EncoderClassifier.load()
    texts = [row.text for row in read_jsonl(DEFAULT_CORPUS_DIR / "test.jsonl")]
    single = calls_per_s(classifier, texts[:100], 1, args.repeats)
    batched = calls_per_s(classifier, texts, BATCH, args.repeats)
    print(f"machine: {machine()}")
    print(f"command: python bench/triage_bench.py --repeats {args.repeats}  (median, wall time)")
    print(f"classifier {classifier.name}, {len(texts)} test-split calls")
    print(f"{'one call at a time':24s} {single:8.1f} calls/s")
    print(f"{f'batches of {BATCH}':24s} {batched:8.1f} calls/s   ({batched / single:.1f}x)")


if __name__ == "__main__":
    main()
