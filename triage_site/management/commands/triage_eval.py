"""`manage.py triage_eval`: accuracy, macro-F1, confusion and under-triage of a classifier on JSONL sets,
and the output-length predictor's MAE, bucket accuracy and Kendall tau where reply lengths are known."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inference.levels import LEVELS
from inference.triage.eval_sets import eval_set_paths
from inference.triage.evaluation import DatasetError, read_jsonl
from inference.triage.registry import CLASSIFIER_KINDS
from triage_site.length_evaluation import LengthEvaluation, format_length_figures
from triage_site.triage import load_configured_classifier


class Command(BaseCommand):
    help = ('Evaluate the urgency classifier on JSON Lines of {"text": ..., "priority": 0..4}; '
            '--data may be repeated (a path, or "test" / "independent").')

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data", action="append", default=None,
                            help="a JSONL file, or 'test' (the corpus test split, the default) or "
                                 "'independent' (the hand-written set); repeat for several sets")
        parser.add_argument("--classifier", choices=CLASSIFIER_KINDS, default=settings.TRIAGE_CLASSIFIER)
        parser.add_argument("--no-red-flags", action="store_true",
                            help="the model alone, without the red-flag layer")
        parser.add_argument("--json", type=Path, help="also write the figures as JSON (the first "
                                                      "set's at the top level, every set under 'sets')")

    def handle(self, *args, **options) -> None:
        from inference.triage.evaluation import evaluate

        names = eval_set_paths(settings.TRIAGE_CORPUS_DIR)
        paths = [names.get(item, Path(item)) for item in (options["data"] or ["test"])]
        try:
            rows_per_set = [(path, read_jsonl(path)) for path in paths]
            classifier = load_configured_classifier(options["classifier"],
                                                    red_flags=not options["no_red_flags"])
        except (DatasetError, OSError) as exc:  # FileNotFoundError: model not built
            raise CommandError(str(exc), returncode=2) from None
        if options["json"] is not None and not options["json"].parent.is_dir():
            raise CommandError(f"output folder {options['json'].parent} does not exist", returncode=2)
        lengths = LengthEvaluation.from_settings()
        per_set = {}
        for path, rows in rows_per_set:
            figures = evaluate(classifier, rows)
            figures.update(lengths.figures(rows))
            per_set[str(path)] = figures
            self.stdout.write(format_figures(classifier.name, path, figures))
        if options["json"]:
            first = dict(next(iter(per_set.values())))
            if len(per_set) > 1:
                first["sets"] = per_set
            options["json"].write_text(json.dumps(first, indent=2) + "\n")


def _summary(label: str, figures: dict) -> str:
    return (f"{label}: macro-F1 {figures['macro_f1']:.3f}, under-triage of levels 0-1 "
            f"{figures['under_triage_rate_critical']:.1%}, over-triage {figures['over_triage_rate']:.1%}")


def format_figures(name: str, data: Path, figures: dict) -> str:
    lines = [f"{name} on {data} ({figures['count']} calls)",
             f"accuracy {figures['accuracy']:.3f}   macro-F1 {figures['macro_f1']:.3f}",
             f"under-triage {figures['under_triage_rate']:.1%}   "
             f"under-triage of true levels 0-1 {figures['under_triage_rate_critical']:.1%}   "
             f"over-triage {figures['over_triage_rate']:.1%}"]
    if "without_red_flags" in figures:
        lines.append(_summary(f"without red flags ({figures['num_raised_by_red_flags']} calls raised)",
                              figures["without_red_flags"]))
    if "argmax" in figures:
        lines.append(_summary("most likely level alone (no decision rule, no red flags)", figures["argmax"]))
    lines.append("confusion (rows: true level, columns: predicted)")
    lines.append("      " + "".join(f"{f'P{level.value}':>6s}" for level in LEVELS))
    for level, row in zip(LEVELS, figures["confusion"]):
        lines.append(f"{f'P{level.value}':>6s}" + "".join(f"{count:6d}" for count in row))
    lines.extend(format_length_figures(figures))
    if figures.get("calls_per_s"):
        lines.append(f"{figures['calls_per_s']:.0f} calls/s")
    return "\n".join(lines)
