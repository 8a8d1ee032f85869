"""`manage.py train_triage`: fine-tune the MiniLM urgency classifier on the labelled corpus."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inference.triage.evaluation import DatasetError, read_jsonl


class Command(BaseCommand):
    help = "Train the encoder urgency classifier; the artefact goes to TRIAGE_ENCODER_DIR (outside git)."

    def add_arguments(self, parser) -> None:
        corpus = settings.TRIAGE_CORPUS_DIR
        parser.add_argument("--train", type=Path, default=corpus / "train.jsonl")
        parser.add_argument("--validation", type=Path, default=corpus / "validation.jsonl")
        parser.add_argument("--out", type=Path, default=settings.TRIAGE_ENCODER_DIR)
        parser.add_argument("--epochs", type=int, default=None, help="default: the trainer's")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--base-encoder", type=Path, default=None,
                            help="encoder to fine-tune (default: the shipped MiniLM)")
        parser.add_argument("--if-missing", action="store_true",
                            help="do nothing when a complete artefact is already there (set-up)")

    def handle(self, *args, **options) -> None:
        from inference.triage.encoder_classifier import EncoderClassifier
        from inference.triage.training import train_encoder_classifier

        out: Path = options["out"]
        if options["if_missing"]:
            try:
                EncoderClassifier.load(out)
                self.stdout.write(f"classifier already built in {out}")
                return
            except FileNotFoundError:
                pass
        try:
            train_rows = read_jsonl(options["train"])
            validation_rows = read_jsonl(options["validation"])
        except (DatasetError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        extra = {"epochs": options["epochs"]} if options["epochs"] else {}
        if options["base_encoder"]:
            extra["base_encoder_dir"] = options["base_encoder"]
        metrics = train_encoder_classifier(train_rows, validation_rows, out, seed=options["seed"],
                                           corpus_files=[options["train"], options["validation"]],
                                           **extra)
        self.stdout.write(f"saved to {out}")
        self.stdout.write(json.dumps(metrics, indent=2))
