"""Fine-tuning the encoder classifier; its best epoch, temperature and decision figures come from validation.

The CPU budget (a couple of minutes on 2 cores) shapes the recipe: the embedding
layer and the bottom transformer layers (2 of MiniLM's 6 by default) stay frozen,
their output is computed once and cached, and each epoch runs only the fine-tuned
top layers and the head. On validation this matched fine-tuning all 6 layers at
two thirds of the cost. Batches group calls of similar length, so little compute
goes on padding. The best epoch by validation macro-F1 is kept; on its validation
probabilities a temperature is fitted (calibration), and the level acted on is the
cost-sensitive choice under the cost matrix (``decision.py``). Each training call also
appears as ``augment_copies`` noisy variants (typos, run-on speech, transcripts: ``augment.py``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from inference.encoder import (MAX_LENGTH_TOKENS, layer_input, load_encoder, mean_pool,
                               num_layers, run_layers)
from inference.triage.augment import augment
from inference.triage.decision import (CostSensitiveDecision, choose_costs, cost_matrix,
                                       expected_calibration_error, fit_temperature,
                                       negative_log_likelihood, temperature_scale)
from inference.triage.encoder_classifier import DEFAULT_ARTEFACT_DIR, EncoderClassifier, UrgencyModel
from inference.triage.evaluation import LabelledCall, argmax, read_jsonl, triage_metrics
from inference.triage.red_flags import red_flag_level

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "triage_corpus"
MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
NUM_THREADS = 2
_LENGTH_GROUP_BATCHES = 8
"""Batches drawn together and sorted by length: enough mixing, little padding."""


def _log(message: str) -> None:
    """Progress goes to stderr and names ids and epochs only, never call text."""
    print(f"[train_triage] {message}", file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows_sha256(rows: Sequence[LabelledCall]) -> str:
    """Fingerprint of the (text, level) pairs trained on, known even when no file is named."""
    lines = (json.dumps([row.text, row.priority], ensure_ascii=False) for row in rows)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _pad(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack unpadded (tokens, hidden) tensors into a zero-padded batch and its attention mask."""
    longest = max(s.shape[0] for s in states)
    batch = states[0].new_zeros(len(states), longest, states[0].shape[1])
    mask = torch.zeros(len(states), longest, dtype=torch.long)
    for i, s in enumerate(states):
        batch[i, :s.shape[0]] = s
        mask[i, :s.shape[0]] = 1
    return batch, mask


def _cache_layer_input(model: UrgencyModel, tokenizer: Any, texts: Sequence[str], layer: int,
                       max_length: int, batch_size: int = 64) -> list[torch.Tensor]:
    """Per text, the unpadded token states entering ``layer`` (the first fine-tuned one)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    cached: list[torch.Tensor] = [torch.empty(0)] * len(texts)
    with torch.inference_mode():
        for offset in range(0, len(order), batch_size):
            indices = order[offset:offset + batch_size]
            batch = tokenizer([texts[i] for i in indices], padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")
            states = layer_input(model.encoder, batch["input_ids"], batch["attention_mask"], layer)
            for row, i in enumerate(indices):
                cached[i] = states[row, :int(batch["attention_mask"][row].sum())].clone()
    return cached


def _logits(model: UrgencyModel, states: Sequence[torch.Tensor], start: int) -> torch.Tensor:
    batch, mask = _pad(states)
    top = run_layers(model.encoder, batch, mask, start=start)
    return model.head(mean_pool(top, mask))


def _batches(lengths: Sequence[int], batch_size: int, generator: torch.Generator) -> Iterator[list[int]]:
    """Shuffled batches of row indices; each batch holds calls of similar length."""
    perm = torch.randperm(len(lengths), generator=generator).tolist()
    group = batch_size * _LENGTH_GROUP_BATCHES
    batches = []
    for offset in range(0, len(perm), group):
        chunk = sorted(perm[offset:offset + group], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    for b in torch.randperm(len(batches), generator=generator).tolist():
        yield batches[b]


def _drop_tokens(states: torch.Tensor, rate: float, generator: torch.Generator) -> torch.Tensor:
    """Randomly delete token states (never [CLS] or [SEP]) from one cached call.

    Validation and test calls come from phrasings never seen in training; hiding a
    tenth of the words each time stops the model leaning on one template cue.
    """
    if rate <= 0.0 or states.shape[0] <= 3:
        return states
    keep = torch.rand(states.shape[0], generator=generator) >= rate
    keep[0] = keep[-1] = True
    return states[keep]


def _probabilities(model: UrgencyModel, states: Sequence[torch.Tensor], start: int,
                   batch_size: int = 64) -> list[list[float]]:
    model.eval()
    order = sorted(range(len(states)), key=lambda i: states[i].shape[0])
    result: list[list[float]] = [[]] * len(states)
    with torch.inference_mode():
        for offset in range(0, len(order), batch_size):
            indices = order[offset:offset + batch_size]
            probs = torch.softmax(_logits(model, [states[i] for i in indices], start), dim=-1)
            for i, row in zip(indices, probs.tolist()):
                result[i] = row
    return result


def _freeze_bottom(model: UrgencyModel,
                   num_trainable_layers: int | None) -> tuple[int, list[nn.Parameter]]:
    """Freeze the embeddings, all but the top layers (None, or more than the encoder has:
    train every layer) and the unused BERT pooler; return the first trainable layer's index
    and the encoder parameters to train."""
    total = num_layers(model.encoder)
    if num_trainable_layers is not None and num_trainable_layers < 1:
        raise ValueError(f"num_trainable_layers must be >= 1, got {num_trainable_layers}")
    num_trainable_layers = total if num_trainable_layers is None else min(num_trainable_layers, total)
    start = total - num_trainable_layers
    for parameter in model.encoder.parameters():
        parameter.requires_grad_(False)
    trainable = [p for layer in model.encoder.encoder.layer[start:] for p in layer.parameters()]
    for parameter in trainable:
        parameter.requires_grad_(True)
    return start, trainable


def train_encoder_classifier(
    train_rows: Sequence[LabelledCall],
    validation_rows: Sequence[LabelledCall],
    out_dir: Path | str = DEFAULT_ARTEFACT_DIR,
    *,
    base_encoder_dir: Path | str | None = None,
    epochs: int = 4,
    seed: int = 0,
    batch_size: int = 16,
    lr: float = 2e-4,
    head_lr: float = 3e-3,
    num_trainable_layers: int | None = 4,
    label_smoothing: float = 0.1,
    token_dropout: float = 0.1,
    augment_copies: int = 1,
    costs: dict[str, float] | None = None,
    max_length: int = MAX_LENGTH_TOKENS,
    name: str = "minilm-ft",
    corpus_files: Sequence[Path] = (),
) -> dict[str, Any]:
    """Fine-tune encoder layers and head jointly, save the artefact to ``out_dir``, return metrics.

    AdamW with linear warm-up (10 %) and decay, cross-entropy with label smoothing (the
    corpus is balanced, so no class weights), gradient norm clipped at 1, and
    ``token_dropout`` of each training call's tokens hidden per step. ``corpus_files``
    are only fingerprinted into the metadata (the rows are always). After the last
    epoch the weights of the best validation macro-F1 are restored; on that epoch's validation
    probabilities the temperature is fitted and the cost matrix chosen (``decision.choose_costs``,
    with the red flags acting after it), unless ``costs`` fixes it. ``augment_copies`` noisy
    variants of each training call are added (never of validation calls).
    """
    if epochs < 1 or batch_size < 1 or not train_rows or not validation_rows:
        raise ValueError("need epochs >= 1, batch_size >= 1 and non-empty train and validation rows")
    started = time.perf_counter()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(NUM_THREADS)
    try:
        torch.manual_seed(seed)
        train_rows = augment(train_rows, augment_copies, random.Random(seed))
        tokenizer, encoder = load_encoder(None if base_encoder_dir is None else Path(base_encoder_dir))
        model = UrgencyModel(encoder)
        start, trainable = _freeze_bottom(model, num_trainable_layers)
        model.eval()
        train_states, val_states = (
            _cache_layer_input(model, tokenizer, [r.text for r in rows], start, max_length)
            for rows in (train_rows, validation_rows))
        _log(f"cached layer-{start} states of {len(train_rows)} train and {len(validation_rows)} "
             f"validation calls in {time.perf_counter() - started:.1f} s")
        best = _fit(model, trainable, start, train_rows, train_states, validation_rows, val_states,
                    epochs=epochs, seed=seed, batch_size=batch_size, lr=lr, head_lr=head_lr,
                    label_smoothing=label_smoothing, token_dropout=token_dropout)
    finally:
        torch.set_num_threads(previous_threads)
    model.load_state_dict(best["state"])
    true = [r.priority for r in validation_rows]
    floors = [red_flag_level(r.text) for r in validation_rows]
    temperature, costs, validation = _calibrate_and_choose(best["probabilities"], true, floors, costs)
    decision = CostSensitiveDecision(cost_matrix(**costs))
    train_time_s = time.perf_counter() - started
    metadata = {
        "classifier": name,
        "base_encoder": MINILM_NAME if base_encoder_dir is None else str(base_encoder_dir),
        "corpus_sha256": {Path(f).name: _sha256(Path(f)) for f in corpus_files},
        "rows_sha256": {"train": _rows_sha256(train_rows),
                        "validation": _rows_sha256(validation_rows)},
        "seed": seed, "epochs": epochs, "best_epoch": best["epoch"], "batch_size": batch_size,
        "lr": lr, "head_lr": head_lr, "num_trainable_layers": num_trainable_layers,
        "label_smoothing": label_smoothing, "token_dropout": token_dropout,
        "augment_copies": augment_copies, "costs": costs,
        "train_time_s": round(train_time_s, 1),
        "validation": validation,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    classifier = EncoderClassifier(tokenizer, model, name=name, decision=decision,
                                   temperature=temperature, metadata=metadata, max_length=max_length)
    classifier.save(out_dir)
    _log(f"saved {name} (best epoch {best['epoch']}, validation macro-F1 "
         f"{validation['argmax']['macro_f1']:.3f}) to {out_dir} after {train_time_s:.1f} s")
    return {"train_time_s": train_time_s, "best_epoch": best["epoch"], "validation": validation,
            "temperature": temperature, "costs": costs, "artefact_dir": str(out_dir)}


def _calibrate_and_choose(raw: Sequence[Sequence[float]], true: Sequence[int],
                          floors: Sequence[int | None], costs: dict[str, float] | None
                          ) -> tuple[float, dict[str, float], dict[str, Any]]:
    """Fit the temperature on validation, choose the cost matrix (unless given), and return both
    with the validation figures: the decision's, with red flags after it, the argmax's,
    calibration before and after, and every candidate matrix's figures (the trade)."""
    temperature = fit_temperature(raw, true)
    calibrated = [temperature_scale(p, temperature) for p in raw]
    chosen, trade = choose_costs(calibrated, true, floors)
    costs = dict(chosen if costs is None else costs)
    decided = [CostSensitiveDecision(cost_matrix(**costs)).apply(p) for p in calibrated]
    validation = triage_metrics(true, decided)
    validation["with_red_flags"] = triage_metrics(
        true, [min(level, 5 if f is None else f) for level, f in zip(decided, floors)])
    validation["argmax"] = triage_metrics(true, [argmax(p) for p in calibrated])
    validation["calibration"] = {
        "temperature": temperature,
        "nll_before": negative_log_likelihood(raw, true, 1.0),
        "nll_after": negative_log_likelihood(raw, true, temperature),
        "ece_before": expected_calibration_error(raw, true),
        "ece_after": expected_calibration_error(calibrated, true)}
    validation["cost_trade"] = trade
    return temperature, costs, validation


def _fit(model: UrgencyModel, trainable: list[nn.Parameter], start: int,
         train_rows: Sequence[LabelledCall], train_states: list[torch.Tensor],
         validation_rows: Sequence[LabelledCall], val_states: list[torch.Tensor], *,
         epochs: int, seed: int, batch_size: int, lr: float, head_lr: float,
         label_smoothing: float, token_dropout: float) -> dict[str, Any]:
    """The epoch loop; returns the best epoch, its weights and validation probabilities."""
    optimizer = torch.optim.AdamW([{"params": trainable, "lr": lr},
                                   {"params": model.head.parameters(), "lr": head_lr}],
                                  weight_decay=0.01)
    total_steps = epochs * math.ceil(len(train_rows) / batch_size)
    warmup = max(1, total_steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / total_steps)))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    labels = torch.tensor([r.priority for r in train_rows])
    true = [r.priority for r in validation_rows]
    lengths = [s.shape[0] for s in train_states]
    generator = torch.Generator().manual_seed(seed)
    best: dict[str, Any] = {"macro_f1": -1.0}
    for epoch in range(1, epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        total_loss = 0.0
        for indices in _batches(lengths, batch_size, generator):
            states = [_drop_tokens(train_states[i], token_dropout, generator) for i in indices]
            loss = loss_fn(_logits(model, states, start), labels[indices])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable + list(model.head.parameters()), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            total_loss += loss.item() * len(indices)
        probabilities = _probabilities(model, val_states, start)
        score = triage_metrics(true, [argmax(p) for p in probabilities])["macro_f1"]
        _log(f"epoch {epoch}/{epochs}: train loss {total_loss / len(train_rows):.4f}, validation "
             f"macro-F1 {score:.4f}, {time.perf_counter() - epoch_start:.1f} s")
        if score > best["macro_f1"]:
            best = {"macro_f1": score, "epoch": epoch, "probabilities": probabilities,
                    "state": copy.deepcopy(model.state_dict())}
    return best


def train_from_corpus(corpus_dir: Path | str = DEFAULT_CORPUS_DIR,
                      out_dir: Path | str = DEFAULT_ARTEFACT_DIR, **options: Any) -> dict[str, Any]:
    """Train on ``train.jsonl`` and select on ``validation.jsonl`` (never ``test.jsonl``)."""
    corpus_dir = Path(corpus_dir)
    files = [corpus_dir / "train.jsonl", corpus_dir / "validation.jsonl"]
    return train_encoder_classifier(read_jsonl(files[0]), read_jsonl(files[1]), out_dir,
                                    corpus_files=files, **options)
