"""`manage.py generate_replies`: the response model's replies to corpus calls, for the length model.

Resumable and incremental: rows already in the length table are skipped, each batch is appended
when done. The table is small and shipped in git; the reply texts stay in the build cache.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inference.triage.evaluation import DatasetError, read_jsonl
from triage_site.management.commands._cli import make_errors_one_line, positive_int

SPLITS = ("train", "validation", "test")


class Command(BaseCommand):
    help = ("Generate the response LM's replies to a seeded sample of corpus calls (the chat workload: "
            "the call as the user's message) and append their lengths to inference/data/reply_lengths/.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        return make_errors_one_line(super().create_parser(prog_name, subcommand, **kwargs))

    def add_arguments(self, parser) -> None:
        parser.add_argument("--split", choices=SPLITS, required=True)
        parser.add_argument("--limit", type=positive_int, required=True, help="a fixed, seeded sample of N calls")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--max-new-tokens", type=positive_int, default=settings.TRIAGE_LENGTH_MAX_NEW_TOKENS)
        parser.add_argument("--batch-size", type=positive_int, default=24)

    def handle(self, *args, **options) -> None:
        from inference.cards.evaluation import sample_rows
        from inference.model_store import load_causal_lm, pick_device
        from inference.reply_lengths import generate_missing, table_path, texts_cache_path

        model_dir = Path(settings.TRIAGE_LM_DIR)
        try:
            rows = sample_rows(read_jsonl(settings.TRIAGE_CORPUS_DIR / f"{options['split']}.jsonl"),
                               options["limit"], options["seed"])
            model, tokenizer = load_causal_lm(model_dir, pick_device(settings.TRIAGE_ENGINE_DEVICE))
        except (DatasetError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        table = table_path(model_dir.name, options["max_new_tokens"])
        started = time.perf_counter()

        def progress(done: int, total: int, batch_s: float) -> None:
            self.stderr.write(f"{done}/{total} replies ({batch_s:.0f} s for the last batch, "
                              f"{time.perf_counter() - started:.0f} s in all)")

        count = generate_missing(rows, model=model, tokenizer=tokenizer, table=table,
                                 texts_cache=texts_cache_path(model_dir.name, options["max_new_tokens"]),
                                 max_new_tokens=options["max_new_tokens"], batch_size=options["batch_size"],
                                 progress=progress)
        self.stdout.write(f"{count} replies generated; lengths in {table}")
