"""`manage.py prepare_models`: the set-up step that builds whatever model is missing (idempotent)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Convert the shipped SmolLM2 GGUF, train the urgency classifier and its complaint head "
            "(which cards a call needs), each only if missing.")

    def handle(self, *args, **options) -> None:
        from django.conf import settings

        from inference.cards.complaint_model import ensure_complaint_head
        from inference.model_store import convert_smollm2

        path = convert_smollm2(settings.TRIAGE_LM_DIR)
        self.stdout.write(f"language model ready in {path}")
        call_command("train_triage", "--if-missing", stdout=self.stdout)
        ensure_complaint_head(settings.TRIAGE_ENCODER_DIR, settings.TRIAGE_CORPUS_DIR)
        self.stdout.write(f"complaint head ready in {settings.TRIAGE_ENCODER_DIR}")
