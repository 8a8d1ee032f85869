"""The length half of ``triage_eval``: the configured predictor against the per-level baselines.

Rows get their ``output_tokens`` from the shipped reply-length table by id (a row's own value
wins), so ``--data test`` is scored on the test-split calls whose replies were generated. The
fair per-level baseline is the median real length of each level over the train-split replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from inference.length_predictor import (LengthPredictor, LevelBaselinePredictor, LevelMedianPredictor,
                                        evaluate_lengths)
from inference.reply_lengths import ReplyLength, read_table, with_output_tokens
from inference.triage.evaluation import LabelledCall, read_jsonl
from triage_site.triage import load_configured_length_predictor, reply_length_table


@dataclass
class LengthEvaluation:
    predictor_name: str
    table: list[ReplyLength]
    baselines: dict[str, LengthPredictor]
    predictor: Any = None

    @classmethod
    def from_settings(cls) -> LengthEvaluation:
        path = reply_length_table()
        table = read_table(path) if path.is_file() else []
        train_ids = {row.id for row in read_jsonl(settings.TRIAGE_CORPUS_DIR / "train.jsonl")}
        train = [entry for entry in table if entry.id in train_ids]
        baselines: dict[str, LengthPredictor] = {"level-baseline": LevelBaselinePredictor()}
        if train:
            baselines["level-median"] = LevelMedianPredictor.fit([e.priority for e in train],
                                                                 [e.output_tokens for e in train])
        return cls(settings.TRIAGE_LENGTH_PREDICTOR, table, baselines)

    def figures(self, rows: Sequence[LabelledCall]) -> dict[str, Any]:
        """``length_*`` keys for the configured predictor (None where no row knows its length), and
        the same figures for each baseline under ``length_baselines``."""
        rows = with_output_tokens(rows, self.table)
        if not any(row.output_tokens is not None for row in rows):
            return {"length_mae_tokens": None, "length_bucket_accuracy": None, "length_kendall_tau": None,
                    "length_count": 0, "length_predictor": self.predictor_name}
        if self.predictor is None:
            self.predictor = load_configured_length_predictor()
        ours = evaluate_lengths(self.predictor, rows)
        return {"length_mae_tokens": ours["mae_tokens"], "length_bucket_accuracy": ours["bucket_accuracy"],
                "length_kendall_tau": ours["kendall_tau"], "length_count": ours["count"],
                "length_predictor": self.predictor_name,
                "length_baselines": {name: evaluate_lengths(baseline, rows)
                                     for name, baseline in self.baselines.items()}}


def format_length_figures(figures: dict[str, Any]) -> list[str]:
    if not figures.get("length_count"):
        return ["length predictor: no output_tokens for these calls, not evaluated"]
    lines = [_line(f"length predictor ({figures['length_predictor']})", figures["length_mae_tokens"],
                   figures["length_bucket_accuracy"], figures["length_kendall_tau"], figures["length_count"])]
    for name, base in figures["length_baselines"].items():
        lines.append(_line(f"  against {name}", base["mae_tokens"], base["bucket_accuracy"],
                           base["kendall_tau"], base["count"]))
    return lines


def _line(label: str, mae: float, bucket_accuracy: float, tau: float | None, count: int) -> str:
    tau_text = "undefined (constant)" if tau is None else f"{tau:+.3f}"
    return (f"{label}: MAE {mae:.1f} tokens, 50-token bucket accuracy {bucket_accuracy:.1%}, "
            f"Kendall tau {tau_text} ({count} calls with reply lengths)")
