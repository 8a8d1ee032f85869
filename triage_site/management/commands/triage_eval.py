"""`manage.py triage_eval`: accuracy, macro-F1, confusion and under-triage of a classifier on a JSONL file."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inference.levels import LEVELS
from inference.triage.evaluation import DatasetError, read_jsonl
from inference.triage.registry import CLASSIFIER_KINDS
from triage_site.triage import load_configured_classifier


class Command(BaseCommand):
    help = 'Evaluate the urgency classifier on JSON Lines of {"text": ..., "priority": 0..4}.'

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data", type=Path, default=settings.TRIAGE_CORPUS_DIR / "test.jsonl")
        parser.add_argument("--classifier", choices=CLASSIFIER_KINDS, default=settings.TRIAGE_CLASSIFIER)
        parser.add_argument("--json", type=Path, help="also write the figures as JSON")

    def handle(self, *args, **options) -> None:
        from inference.length_predictor import default_length_predictor, evaluate_lengths
        from inference.triage.evaluation import evaluate

        try:
            rows = read_jsonl(options["data"])
            classifier = load_configured_classifier(options["classifier"])
        except (DatasetError, OSError) as exc:  # FileNotFoundError: model not built
            raise CommandError(str(exc), returncode=2) from None
        if options["json"] is not None and not options["json"].parent.is_dir():
            raise CommandError(f"output folder {options['json'].parent} does not exist", returncode=2)
        figures = evaluate(classifier, rows)
        figures["length"] = evaluate_lengths(default_length_predictor(), rows)
        self.stdout.write(format_figures(classifier.name, options["data"], figures))
        if options["json"]:
            options["json"].write_text(json.dumps(figures, indent=2) + "\n")


def format_figures(name: str, data: Path, figures: dict) -> str:
    lines = [f"{name} on {data} ({figures['count']} calls)",
             f"accuracy {figures['accuracy']:.3f}   macro-F1 {figures['macro_f1']:.3f}",
             f"under-triage {figures['under_triage_rate']:.1%}   "
             f"under-triage of true levels 0-1 {figures['under_triage_rate_critical']:.1%}   "
             f"over-triage {figures['over_triage_rate']:.1%}"]
    if "argmax" in figures:
        raw = figures["argmax"]
        lines.append(f"without the safety rule: macro-F1 {raw['macro_f1']:.3f}, under-triage of "
                     f"levels 0-1 {raw['under_triage_rate_critical']:.1%}, over-triage "
                     f"{raw['over_triage_rate']:.1%}")
    lines.append("confusion (rows: true level, columns: predicted)")
    lines.append("      " + "".join(f"{f'P{level.value}':>6s}" for level in LEVELS))
    for level, row in zip(LEVELS, figures["confusion"]):
        lines.append(f"{f'P{level.value}':>6s}" + "".join(f"{count:6d}" for count in row))
    length = figures.get("length") or {}
    if length.get("count"):
        lines.append(f"length predictor: MAE {length['mae_tokens']:.1f} tokens, 50-token bucket "
                     f"accuracy {length['bucket_accuracy']:.1%} ({length['count']} calls with lengths)")
    else:
        lines.append("length predictor: no output_tokens in the data, not evaluated")
    if figures.get("calls_per_s"):
        lines.append(f"{figures['calls_per_s']:.0f} calls/s")
    return "\n".join(lines)
