"""Fixtures shared across test folders: a tiny urgency classifier and the settings that use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.encoder import build_tiny_encoder
from inference.triage.evaluation import read_jsonl
from inference.triage.training import train_encoder_classifier

CORPUS = Path(__file__).resolve().parents[1] / "inference" / "data" / "triage_corpus"


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random tiny BERT with the real MiniLM tokenizer: the real code path in milliseconds."""
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny_encoder"))


@pytest.fixture(scope="session")
def tiny_artefact_dir(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> Path:
    """A classifier artefact trained for one epoch on 40 corpus calls (weak, but real)."""
    train = [row for level in range(5)
             for row in [r for r in read_jsonl(CORPUS / "train.jsonl") if r.priority == level][:8]]
    validation = [row for level in range(5)
                  for row in [r for r in read_jsonl(CORPUS / "validation.jsonl") if r.priority == level][:2]]
    out_dir = tmp_path_factory.mktemp("artefact") / "tiny"
    train_encoder_classifier(train, validation, out_dir, base_encoder_dir=tiny_encoder_dir, epochs=1,
                             batch_size=8, name="tiny-ft")
    return out_dir


def _use_models(settings, encoder_dir: Path) -> None:
    from triage_site.triage import get_classifier, get_length_predictor
    settings.TRIAGE_CLASSIFIER = "encoder"
    settings.TRIAGE_ENCODER_DIR = encoder_dir
    get_classifier.cache_clear()  # the process keeps one classifier; tests switch it
    get_length_predictor.cache_clear()


@pytest.fixture
def tiny_classifier_settings(settings, tiny_artefact_dir):
    _use_models(settings, tiny_artefact_dir)
    yield settings
    _use_models(settings, tiny_artefact_dir)


@pytest.fixture
def missing_classifier_settings_factory(settings, tmp_path):
    """Point the site at a classifier that was never built (call the returned function)."""
    def use_missing():
        _use_models(settings, tmp_path / "never-trained")
        return settings
    yield use_missing
    from triage_site.triage import get_classifier
    get_classifier.cache_clear()


@pytest.fixture
def missing_classifier_settings(missing_classifier_settings_factory):
    return missing_classifier_settings_factory()
