"""`manage.py classify "text"`: rate one transcript and print level, name and probabilities."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from inference.levels import LEVELS
from inference.triage.base import InvalidCallText


class Command(BaseCommand):
    help = "Classify one call transcript with the configured urgency classifier."

    def add_arguments(self, parser) -> None:
        parser.add_argument("text", help="the call transcript (quote it)")

    def handle(self, *args, **options) -> None:
        from triage_site.triage import get_classifier, get_length_predictor

        try:
            triage = get_classifier().classify([options["text"]])[0]
        except InvalidCallText as exc:
            raise CommandError(str(exc), returncode=2) from None
        except FileNotFoundError as exc:
            raise CommandError(str(exc), returncode=2) from None
        tokens = get_length_predictor().predict([options["text"]], [triage.priority])[0]
        chosen = LEVELS[triage.priority]
        self.stdout.write(f"level {chosen.value} ({chosen.label}, ESI {chosen.esi}) "
                          f"by {triage.classifier}; predicted response {tokens} tokens")
        if triage.red_flags:
            raised = (f", raised from level {triage.model_priority}"
                      if triage.model_priority is not None and triage.model_priority != triage.priority else "")
            self.stdout.write(f"red flags: {', '.join(triage.red_flags)}{raised}")
        for level, probability in zip(LEVELS, triage.probabilities):
            marker = "*" if level.value == triage.priority else " "
            self.stdout.write(f" {marker} {level.label:16s} {probability:6.1%}")
