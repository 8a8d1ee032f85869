"""`manage.py train_length`: fit the output-length model on the response LM's real reply lengths.

Trains on the corpus's train-split calls found in the shipped length table
(``inference/data/reply_lengths/``, made by ``generate_replies``); the test split's rows are left
for ``triage_eval``. Seconds on a CPU, so the set-up runs it whenever the model is missing.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inference.learned_length import FEATURE_KINDS
from inference.triage.evaluation import DatasetError, read_jsonl
from triage_site.triage import reply_length_table

DEFAULT_FEATURES = ("minilm",)
"""Intake rates every call in the request that stores it; the response model's features cost 137 ms a
call there on a 2-core CPU and cut a burst's accepted calls/s from 12.2 to 1.7 (docs/BENCHMARKS.md)."""


class Command(BaseCommand):
    help = "Train the learned output-length predictor; it goes to TRIAGE_LENGTH_DIR (outside git)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", type=Path, default=settings.TRIAGE_LENGTH_DIR)
        parser.add_argument("--features", nargs="+", choices=FEATURE_KINDS, default=list(DEFAULT_FEATURES),
                            help="feature sets to try; the best by 5-fold Kendall tau is kept (default: minilm; "
                                 "response-lm ranks better but makes intake 14x slower on a CPU, "
                                 "docs/BENCHMARKS.md)")
        parser.add_argument("--if-missing", action="store_true",
                            help="do nothing when a model is already there (set-up)")

    def handle(self, *args, **options) -> None:
        from inference.learned_length import WEIGHTS_FILE, load_features, train_length_predictor
        from inference.reply_lengths import read_table, with_output_tokens

        out: Path = options["out"]
        if options["if_missing"] and (out / WEIGHTS_FILE).is_file():
            self.stdout.write(f"length model already built in {out}")
            return
        cap = settings.TRIAGE_LENGTH_MAX_NEW_TOKENS
        table = reply_length_table()
        missing = (f"{table} holds no train-split call: run 'python manage.py generate_replies "
                   "--split train --limit N' first")
        if not table.is_file():
            raise CommandError(missing, returncode=2)
        try:
            rows = with_output_tokens(read_jsonl(settings.TRIAGE_CORPUS_DIR / "train.jsonl"), read_table(table))
        except (DatasetError, OSError, ValueError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        known = [row for row in rows if row.output_tokens is not None]
        if not known:
            raise CommandError(missing, returncode=2)
        lm_dir = Path(settings.TRIAGE_LM_DIR)
        candidates = [load_features(kind, lm_dir=lm_dir) for kind in options["features"]]
        predictor = train_length_predictor(
            [r.text for r in known], [r.priority for r in known], [r.output_tokens for r in known],
            max_tokens=cap, text_features=candidates,
            metadata={"table": table.name, "response_model": lm_dir.name})
        predictor.save(out)
        taus = ", ".join(f"{kind} {tau:+.3f}" for kind, tau in predictor.metadata["cross_validated_tau"].items())
        self.stdout.write(f"length model trained on {len(known)} replies with {predictor.text_features.kind} "
                          f"features (5-fold Kendall tau: {taus}; ridge alpha {predictor.metadata['alpha']:g}); "
                          f"saved to {out}")
