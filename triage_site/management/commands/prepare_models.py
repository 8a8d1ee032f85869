"""`manage.py prepare_models`: the set-up step that builds whatever model is missing (idempotent).

Each build is cached outside the checkout (``inference.build_cache``), keyed by its inputs, so a
second clone on the same machine copies the models instead of converting and training again.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

INFERENCE_DIR = Path(__file__).resolve().parents[3] / "inference"


class Command(BaseCommand):
    help = "Convert the shipped SmolLM2 GGUF and train the urgency classifier, each only if missing."

    def handle(self, *args, **options) -> None:
        from django.conf import settings

        from inference.build_cache import inputs_key, restore_or_build
        from inference.model_store import convert_smollm2, is_complete, smollm2_gguf_path
        from inference.triage.encoder_classifier import EncoderClassifier

        lm_dir = Path(settings.TRIAGE_LM_DIR)
        if not is_complete(lm_dir):
            key = inputs_key([smollm2_gguf_path(), INFERENCE_DIR / "model_store.py"])
            restored = restore_or_build(lm_dir, key, lambda: convert_smollm2(lm_dir))
            self.stdout.write(f"language model {'copied from the build cache' if restored else 'converted'}")
        self.stdout.write(f"language model ready in {lm_dir}")

        encoder_dir = Path(settings.TRIAGE_ENCODER_DIR)
        try:
            EncoderClassifier.load(encoder_dir)
            self.stdout.write(f"classifier already built in {encoder_dir}")
            return
        except FileNotFoundError:
            pass
        key = inputs_key([Path(settings.TRIAGE_CORPUS_DIR) / "train.jsonl",
                          Path(settings.TRIAGE_CORPUS_DIR) / "validation.jsonl",
                          INFERENCE_DIR / "triage", INFERENCE_DIR / "encoder.py"])
        restored = restore_or_build(encoder_dir, key,
                                    lambda: call_command("train_triage", "--if-missing", stdout=self.stdout))
        self.stdout.write(f"classifier {'copied from the build cache' if restored else 'trained'} in {encoder_dir}")
