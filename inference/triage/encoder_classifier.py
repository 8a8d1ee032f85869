"""The fine-tuned encoder classifier: MiniLM plus a linear head, its artefact on disk, and classify.

An artefact directory holds ``encoder/`` (the fine-tuned encoder and its tokenizer,
``save_pretrained`` format), ``head.safetensors`` and ``metadata.json`` (how it was
trained, its validation metrics, the temperature fitted on validation and the decision rule:
the cost matrix, or for artefacts made before it the safety rule).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from inference.encoder import MAX_LENGTH_TOKENS, load_encoder, mean_pool, tokenize
from inference.levels import NUM_LEVELS
from inference.triage.base import InvalidCallText, Triage, validate_call_text
from inference.triage.decision import CostSensitiveDecision
from inference.triage.safety import SafetyRule

DecisionRule = CostSensitiveDecision | SafetyRule
"""Anything with ``apply(probabilities) -> level``."""

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

DEFAULT_ARTEFACT_DIR = Path(__file__).resolve().parents[2] / "models" / "triage" / "minilm"
"""Where ``python manage.py train_triage`` writes and the site loads from (git-ignored)."""

ENCODER_SUBDIR = "encoder"
HEAD_FILE = "head.safetensors"
METADATA_FILE = "metadata.json"
REQUIRED_FILES = (METADATA_FILE, HEAD_FILE, f"{ENCODER_SUBDIR}/config.json",
                  f"{ENCODER_SUBDIR}/model.safetensors", f"{ENCODER_SUBDIR}/tokenizer.json")


class ArtefactNotFound(FileNotFoundError):
    """No usable trained classifier at the given directory; the message says how to make one."""


class UrgencyModel(nn.Module):
    """Encoder, mean pooling over real tokens, then one linear layer to the five level logits."""

    def __init__(self, encoder: PreTrainedModel, head: nn.Linear | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head or nn.Linear(encoder.config.hidden_size, NUM_LEVELS)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(mean_pool(states, attention_mask))


class EncoderClassifier:
    """UrgencyClassifier over an UrgencyModel: probabilities calibrated by ``temperature``, the
    level acted on chosen by ``decision`` (the cost-sensitive rule; older artefacts: the safety rule)."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, model: UrgencyModel, *,
                 name: str, decision: DecisionRule | None = None, temperature: float = 1.0,
                 metadata: dict[str, Any] | None = None,
                 max_length: int = MAX_LENGTH_TOKENS, batch_size: int = 32) -> None:
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature!r}")
        self.tokenizer = tokenizer
        self.model = model.eval()
        self.name = name
        self.decision: DecisionRule = decision or CostSensitiveDecision()
        self.temperature = temperature
        self.metadata = dict(metadata or {})
        self.max_length = max_length
        self.batch_size = batch_size

    def probabilities(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """Calibrated level probabilities per text (softmax of logits / temperature), in input
        order; refuses bad text by index."""
        cleaned = []
        for index, text in enumerate(texts):
            try:
                cleaned.append(validate_call_text(text))
            except InvalidCallText as error:
                raise InvalidCallText(f"call {index}: {error}") from None
        # Similar lengths share a batch, so little compute goes on padding.
        order = sorted(range(len(cleaned)), key=lambda i: len(cleaned[i]))
        result: list[tuple[float, ...]] = [()] * len(cleaned)
        with torch.inference_mode():
            for offset in range(0, len(order), self.batch_size):
                indices = order[offset:offset + self.batch_size]
                batch = tokenize(self.tokenizer, [cleaned[i] for i in indices], self.max_length)
                logits = self.model(batch["input_ids"], batch["attention_mask"]).float() / self.temperature
                for i, row in zip(indices, torch.softmax(logits, dim=-1).tolist()):
                    result[i] = tuple(row)
        return result

    def classify(self, texts: Sequence[str]) -> list[Triage]:
        return [Triage(priority=self.decision.apply(p), probabilities=p, classifier=self.name)
                for p in self.probabilities(texts)]

    def save(self, out_dir: Path | str) -> Path:
        """Write the artefact to ``out_dir`` (replacing it) via a temporary sibling directory,
        so an interrupted save never leaves a half-written artefact that looks complete."""
        from safetensors.torch import save_file

        out_dir = Path(out_dir)
        staging = out_dir.with_name(out_dir.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        encoder_dir = staging / ENCODER_SUBDIR
        self.model.encoder.save_pretrained(str(encoder_dir))
        self.tokenizer.save_pretrained(str(encoder_dir))
        head = {key: value.detach().contiguous() for key, value in self.model.head.state_dict().items()}
        save_file(head, str(staging / HEAD_FILE))
        metadata = {**self.metadata, "classifier": self.name, "max_length": self.max_length,
                    "temperature": self.temperature, "decision": _decision_to_json(self.decision)}
        metadata.pop("safety", None)
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(out_dir, ignore_errors=True)
        staging.rename(out_dir)
        return out_dir

    @classmethod
    def load(cls, artefact_dir: Path | str = DEFAULT_ARTEFACT_DIR) -> EncoderClassifier:
        """The classifier saved in ``artefact_dir``, or ArtefactNotFound naming what is missing."""
        from safetensors.torch import load_file

        artefact_dir = Path(artefact_dir)
        metadata = _read_metadata(artefact_dir)
        tokenizer, encoder = load_encoder(artefact_dir / ENCODER_SUBDIR)
        state = load_file(str(artefact_dir / HEAD_FILE))
        head = nn.Linear(encoder.config.hidden_size, NUM_LEVELS)
        head.load_state_dict(state)
        return cls(tokenizer, UrgencyModel(encoder, head), name=metadata["classifier"],
                   decision=_decision_from_json(metadata), temperature=float(metadata.get("temperature", 1.0)),
                   metadata=metadata, max_length=metadata["max_length"])


def _decision_to_json(decision: DecisionRule) -> dict[str, Any]:
    if isinstance(decision, SafetyRule):
        return {"kind": "safety", "threshold": decision.threshold, "floor": decision.floor}
    return {"kind": "cost", "costs": [list(row) for row in decision.costs]}


def _decision_from_json(metadata: dict[str, Any]) -> DecisionRule:
    """The saved decision rule; an artefact from before the cost matrix keeps its safety rule."""
    if "decision" not in metadata:
        return SafetyRule(**metadata["safety"])
    spec = dict(metadata["decision"])
    if spec.pop("kind") == "safety":
        return SafetyRule(**spec)
    return CostSensitiveDecision(tuple(tuple(float(c) for c in row) for row in spec["costs"]))


def _read_metadata(artefact_dir: Path) -> dict[str, Any]:
    """metadata.json of a complete artefact, else ArtefactNotFound telling how to make one."""
    hint = "train one with `python manage.py train_triage`"
    missing = [name for name in REQUIRED_FILES if not (artefact_dir / name).is_file()]
    if missing:
        raise ArtefactNotFound(f"no complete triage classifier at {artefact_dir} "
                               f"(missing {', '.join(missing)}); {hint}")
    try:
        metadata = json.loads((artefact_dir / METADATA_FILE).read_text(encoding="utf-8"))
        if not isinstance(metadata, dict):
            raise ValueError("not a JSON object")
        for key in ("classifier", "max_length"):
            if key not in metadata:
                raise ValueError(f"no {key!r}")
        if "decision" not in metadata and "safety" not in metadata:
            raise ValueError("no 'decision'")
    except ValueError as error:
        raise ArtefactNotFound(f"unreadable {artefact_dir / METADATA_FILE} ({error}); {hint}") from None
    return metadata
