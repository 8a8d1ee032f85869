"""The complaint head: which cards a call needs, from the urgency encoder's sentence embedding.

A multi-label linear layer (one sigmoid per card) on the mean-pooled states of the same fine-tuned
MiniLM that rates urgency, trained on the corpus's scenario labels (``corpus_labels.py``) with the
encoder frozen: seconds on a CPU. It lives inside the urgency artefact's directory
(``complaint_head.safetensors`` and ``complaint.json``), so retraining the urgency model drops it and
``prepare_models`` trains it again on the new encoder.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from inference.cards.corpus_labels import cards_for_scenario
from inference.encoder import MAX_LENGTH_TOKENS, load_encoder, mean_pool, tokenize

HEAD_FILE = "complaint_head.safetensors"
METADATA_FILE = "complaint.json"


@dataclass(frozen=True, slots=True)
class ScenarioCall:
    text: str
    cards: tuple[str, ...]


def read_scenario_calls(path: Path) -> list[ScenarioCall]:
    """Corpus rows as (text, cards) from their ``scenario`` field."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            rows.append(ScenarioCall(raw["text"], cards_for_scenario(raw["scenario"])))
    return rows


class ComplaintHead:
    """Card probabilities for texts: the encoder (shared, frozen) plus one linear layer."""

    def __init__(self, tokenizer: Any, encoder: Any, linear: nn.Linear, card_ids: Sequence[str],
                 *, threshold: float = 0.5, metadata: dict[str, Any] | None = None) -> None:
        self.tokenizer = tokenizer
        self.encoder = encoder.eval()
        self.linear = linear.eval()
        self.card_ids = list(card_ids)
        self.threshold = threshold
        self.metadata = dict(metadata or {})

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> torch.Tensor:
        rows = []
        with torch.inference_mode():
            for offset in range(0, len(texts), batch_size):
                batch = tokenize(self.tokenizer, list(texts[offset:offset + batch_size]), MAX_LENGTH_TOKENS)
                states = self.encoder(input_ids=batch["input_ids"],
                                      attention_mask=batch["attention_mask"]).last_hidden_state
                rows.append(mean_pool(states, batch["attention_mask"]))
        return torch.cat(rows) if rows else torch.empty(0, self.linear.in_features)

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        with torch.inference_mode():
            probs = torch.sigmoid(self.linear(self.embed(texts))).tolist()
        return [dict(zip(self.card_ids, row)) for row in probs]

    def save(self, artefact_dir: Path) -> None:
        from safetensors.torch import save_file

        save_file({k: v.detach().contiguous() for k, v in self.linear.state_dict().items()},
                  str(artefact_dir / HEAD_FILE))
        meta = {**self.metadata, "cards": self.card_ids, "threshold": self.threshold}
        (artefact_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, artefact_dir: Path, tokenizer: Any = None, encoder: Any = None) -> ComplaintHead:
        """The head saved beside the urgency encoder in ``artefact_dir`` (FileNotFoundError if none).
        Pass the urgency classifier's tokenizer and encoder to share them."""
        from safetensors.torch import load_file

        artefact_dir = Path(artefact_dir)
        if not (artefact_dir / HEAD_FILE).is_file() or not (artefact_dir / METADATA_FILE).is_file():
            raise FileNotFoundError(f"no complaint head in {artefact_dir}; run `manage.py prepare_models`")
        meta = json.loads((artefact_dir / METADATA_FILE).read_text(encoding="utf-8"))
        if tokenizer is None or encoder is None:
            tokenizer, encoder = load_encoder(artefact_dir / "encoder")
        linear = nn.Linear(encoder.config.hidden_size, len(meta["cards"]))
        linear.load_state_dict(load_file(str(artefact_dir / HEAD_FILE)))
        return cls(tokenizer, encoder, linear, meta["cards"], threshold=meta["threshold"], metadata=meta)


def train_complaint_head(artefact_dir: Path, train: Sequence[ScenarioCall], validation: Sequence[ScenarioCall],
                         card_ids: Sequence[str], *, seed: int = 0, epochs: int = 300,
                         lr: float = 0.01, weight_decay: float = 1e-3) -> ComplaintHead:
    """Fit the head on frozen embeddings of ``train`` (full-batch Adam, binary cross-entropy),
    report exact-match accuracy of the chosen card sets on ``validation``, and save it."""
    started = time.perf_counter()
    torch.manual_seed(seed)
    tokenizer, encoder = load_encoder(Path(artefact_dir) / "encoder")
    linear = nn.Linear(encoder.config.hidden_size, len(card_ids))
    head = ComplaintHead(tokenizer, encoder, linear, card_ids)
    x_train, x_val = head.embed([r.text for r in train]), head.embed([r.text for r in validation])
    y_train = _targets(train, card_ids)
    optimizer = torch.optim.Adam(linear.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    linear.train()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(linear(x_train), y_train)
        loss.backward()
        optimizer.step()
    linear.eval()
    with torch.inference_mode():
        val_probs = torch.sigmoid(linear(x_val)).tolist()
    primary_hits = sum(1 for row, call in zip(val_probs, validation)
                       if card_ids[max(range(len(row)), key=row.__getitem__)] == call.cards[0])
    head.metadata = {"trained_on": len(train), "epochs": epochs, "seed": seed,
                     "validation_top1_accuracy": round(primary_hits / max(len(validation), 1), 4),
                     "train_time_s": round(time.perf_counter() - started, 1)}
    head.save(Path(artefact_dir))
    print(f"[complaint head] validation top-1 {head.metadata['validation_top1_accuracy']:.3f}, "
          f"{head.metadata['train_time_s']} s", file=sys.stderr)
    return head


def _targets(rows: Sequence[ScenarioCall], card_ids: Sequence[str]) -> torch.Tensor:
    y = torch.zeros(len(rows), len(card_ids))
    for i, row in enumerate(rows):
        for card_id in row.cards:
            y[i, card_ids.index(card_id)] = 1.0
    return y


def ensure_complaint_head(artefact_dir: Path | str, corpus_dir: Path | str) -> Path:
    """Train the head beside the urgency encoder in ``artefact_dir`` unless one is there (set-up)."""
    from inference.cards.library import default_cards

    artefact_dir, corpus_dir = Path(artefact_dir), Path(corpus_dir)
    if (artefact_dir / HEAD_FILE).is_file() and (artefact_dir / METADATA_FILE).is_file():
        return artefact_dir
    train_complaint_head(artefact_dir, read_scenario_calls(corpus_dir / "train.jsonl"),
                         read_scenario_calls(corpus_dir / "validation.jsonl"), list(default_cards()))
    return artefact_dir
