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
    help = ("Convert the shipped SmolLM2 GGUF, train the urgency classifier and its complaint head "
            "(which cards a call needs) and the output-length model, each only if missing.")

    def handle(self, *args, **options) -> None:
        from django.conf import settings

        from inference.build_cache import inputs_key, restore_or_build
        from inference.cards.complaint_model import ensure_complaint_head
        from inference.model_store import convert_smollm2, is_complete, smollm2_gguf_path

        lm_dir = Path(settings.TRIAGE_LM_DIR)
        if not is_complete(lm_dir):
            key = inputs_key([smollm2_gguf_path(), INFERENCE_DIR / "model_store.py"])
            restored = restore_or_build(lm_dir, key, lambda: convert_smollm2(lm_dir))
            self.stdout.write(f"language model {'copied from the build cache' if restored else 'converted'}")
        self.stdout.write(f"language model ready in {lm_dir}")

        encoder_dir, corpus_dir = Path(settings.TRIAGE_ENCODER_DIR), Path(settings.TRIAGE_CORPUS_DIR)

        def train_both() -> None:
            call_command("train_triage", "--if-missing", stdout=self.stdout)
            ensure_complaint_head(encoder_dir, corpus_dir)

        if not _is_built(encoder_dir):
            key = inputs_key([corpus_dir / "train.jsonl", corpus_dir / "validation.jsonl",
                              INFERENCE_DIR / "triage", INFERENCE_DIR / "cards", INFERENCE_DIR / "encoder.py"])
            restored = restore_or_build(encoder_dir, key, train_both)
            self.stdout.write(f"classifier and complaint head {'copied from the build cache' if restored else 'trained'}")
        self.stdout.write(f"classifier and complaint head ready in {encoder_dir}")

        length_dir = Path(settings.TRIAGE_LENGTH_DIR)
        if not (length_dir / "length.json").is_file():
            from inference.reply_lengths import TABLE_DIR
            key = inputs_key([TABLE_DIR, INFERENCE_DIR / "learned_length.py", smollm2_gguf_path(),
                              INFERENCE_DIR / "encoder.py", corpus_dir / "train.jsonl",
                              Path(__file__).with_name("train_length.py")])
            restored = restore_or_build(length_dir, key, lambda: call_command("train_length", stdout=self.stdout))
            self.stdout.write(f"length model {'copied from the build cache' if restored else 'trained'}")
        self.stdout.write(f"length model ready in {length_dir}")


def _is_built(encoder_dir: Path) -> bool:
    """Both the urgency classifier and the complaint head beside it are there."""
    from inference.cards.complaint_model import HEAD_FILE, METADATA_FILE
    from inference.triage.encoder_classifier import EncoderClassifier

    try:
        EncoderClassifier.load(encoder_dir)
    except FileNotFoundError:
        return False
    return (encoder_dir / HEAD_FILE).is_file() and (encoder_dir / METADATA_FILE).is_file()
