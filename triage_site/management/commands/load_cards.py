"""`manage.py load_cards`: store the shipped instruction cards whose file version is new (set-up)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inference.cards.library import CARDS_FILE, CardError


class Command(BaseCommand):
    help = ("Store each card of inference/cards/cards.yaml whose version was not loaded before as the "
            "card's next version (staff edits stay in the history).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--file", type=Path, default=CARDS_FILE)

    def handle(self, *args, file: Path, **options) -> None:
        from triage_site.services.cards import cards_load_from_file

        try:
            stored = cards_load_from_file(path=file)
        except (CardError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(f"instruction cards stored: {', '.join(stored)}" if stored
                          else "instruction cards up to date")
