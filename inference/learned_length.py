"""Output lengths learned from the response model's real replies: a ridge head on request features.

Two feature sets, chosen by cross-validation on the training replies (``train_length``):

* ``response-lm``: the response model's own hidden states for the prompt it will answer (the last
  token's state at the middle and last layers, and the last layer's mean): the model's reading of
  the request, which also knows whether the model tends to ramble on it. One forward pass of the
  135M model per call at intake, tens of milliseconds on a CPU.
* ``minilm``: the shipped MiniLM's mean-pooled sentence embedding (cheaper, generic).

Both add the level one-hot and log(1 + words). A ridge regression (scikit-learn, strength by
leave-one-out cross-validation) of log output tokens gives a score that ranks requests; it trains
in seconds and cannot overfit a few hundred rows the way a fine-tuned head would.

The score is then turned into tokens by the median real length of its decile (deciles of the
out-of-fold scores on the training replies, medians made non-decreasing). Real lengths are
bimodal (a reply ends by itself around 70 tokens, or runs to the cap), so the regression's own
estimate sits between the modes, where few replies are; the decile median is the value that
minimises the absolute error for requests scored alike. Predictions never exceed the cap the
training replies were generated under (a longer reply was cut there); the engine further clips to
each request's own cap.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from inference.levels import NUM_LEVELS

WEIGHTS_FILE = "length_head.npz"
METADATA_FILE = "length.json"
ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
FEATURE_KINDS = ("response-lm", "minilm")
CACHE_SIZE = 4096
"""Predictions kept per (text, level); more than this and the cache starts over."""


class LengthModelNotFound(FileNotFoundError):
    """The learned length model was not built (``manage.py prepare_models`` builds it)."""


def messages_text(messages: Sequence[dict[str, str]]) -> str:
    """What the predictor reads of a chat: every turn's content, in order (system prompts too,
    since they change what is asked)."""
    return "\n".join(str(message.get("content", "")) for message in messages)


class TextFeatures(Protocol):
    kind: str

    def __call__(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLMFeatures:
    """Mean-pooled MiniLM sentence embeddings (the shipped wheel's model)."""

    kind = "minilm"

    def __init__(self, encoder_dir: Path | None = None) -> None:
        from inference.encoder import load_encoder
        self.tokenizer, self.encoder = load_encoder(encoder_dir)

    def __call__(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        from inference.encoder import embed
        return np.concatenate([embed(self.tokenizer, self.encoder, list(texts[i:i + batch_size])).numpy()
                               for i in range(0, len(texts), batch_size)])


class ResponseLMFeatures:
    """The response LM's hidden states for the chat prompt of each text (the text as the user's turn)."""

    kind = "response-lm"

    def __init__(self, lm_dir: Path) -> None:
        from inference.model_store import load_causal_lm
        self.model, self.tokenizer = load_causal_lm(Path(lm_dir), "cpu")

    def __call__(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        import torch

        from inference.prompts import render_chat

        prompts = [render_chat(self.tokenizer, [{"role": "user", "content": text}]) for text in texts]
        self.tokenizer.padding_side = "right"  # causal: a real token's states never see the padding after it
        rows = []
        with torch.inference_mode():
            for offset in range(0, len(prompts), batch_size):
                batch = self.tokenizer(prompts[offset:offset + batch_size], return_tensors="pt", padding=True,
                                       add_special_tokens=False)
                states = self.model(**batch, output_hidden_states=True).hidden_states
                mask = batch["attention_mask"]
                last = mask.sum(dim=1) - 1
                picked = torch.arange(len(last))
                mean = (states[-1] * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True)
                middle = states[len(states) // 2][picked, last]
                rows.append(torch.cat([mean, states[-1][picked, last], middle], dim=1).float().numpy())
        return np.concatenate(rows)


def load_features(kind: str, *, lm_dir: Path | None, encoder_dir: Path | None = None) -> TextFeatures:
    if kind == "minilm":
        return MiniLMFeatures(encoder_dir)
    if kind == "response-lm":
        if lm_dir is None:
            raise ValueError("response-lm length features need the response model's directory")
        return ResponseLMFeatures(lm_dir)
    raise ValueError(f"length features must be one of {FEATURE_KINDS}, got {kind!r}")


def length_features(text_features: TextFeatures, texts: Sequence[str], priorities: Sequence[int]) -> np.ndarray:
    """One row per text: its text features, level one-hot, log(1 + words)."""
    if any(not 0 <= p < NUM_LEVELS for p in priorities):
        raise ValueError(f"priorities must be 0..{NUM_LEVELS - 1}, got {sorted(set(priorities))}")
    levels = np.eye(NUM_LEVELS)[list(priorities)]
    words = np.log1p([[len(text.split())] for text in texts])
    return np.hstack([text_features(texts), levels, words])


class LearnedLengthPredictor:
    """``predict(texts, priorities)``: output tokens from the texts' features and levels."""

    def __init__(self, text_features: TextFeatures, coef: np.ndarray, intercept: float, *,
                 edges: np.ndarray, tokens: np.ndarray, metadata: dict[str, Any] | None = None) -> None:
        if len(tokens) != len(edges) + 1 or np.any(np.diff(tokens) < 0):
            raise ValueError("tokens needs one non-decreasing value per score bin (len(edges) + 1)")
        self.text_features = text_features
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.edges = np.asarray(edges, dtype=np.float64)
        self.tokens = np.asarray(tokens, dtype=np.int64)
        self.metadata = dict(metadata or {})
        self._cache: dict[tuple[str, int], int] = {}

    def cache_clear(self) -> None:
        """Forget the kept predictions (benchmarks time the model, not the cache)."""
        self._cache.clear()

    def scores(self, texts: Sequence[str], priorities: Sequence[int]) -> np.ndarray:
        """The ridge score (predicted log tokens): higher means a longer reply."""
        features = length_features(self.text_features, texts, priorities)
        if features.shape[1] != len(self.coef):
            raise ValueError(f"the length model expects {len(self.coef)} features but {self.text_features.kind} "
                             f"gives {features.shape[1]}: it was trained with another model; retrain it "
                             "('python manage.py train_length')")
        return features @ self.coef + self.intercept

    def predict(self, texts: Sequence[str], priorities: Sequence[int]) -> list[int]:
        if len(texts) != len(priorities):
            raise ValueError(f"{len(texts)} texts but {len(priorities)} priorities")
        if not texts:
            return []
        # Scenarios draw the same corpus calls again and again: each (text, level) is scored once.
        # Answers come from a local copy, so another request thread clearing the cache cannot lose them.
        found = {key: self._cache.get(key) for key in zip(texts, priorities)}
        unseen = [key for key, tokens in found.items() if tokens is None]
        if unseen:
            bins = np.digitize(self.scores([t for t, _ in unseen], [p for _, p in unseen]), self.edges)
            fresh = {key: int(self.tokens[b]) for key, b in zip(unseen, bins)}
            found.update(fresh)
            if len(self._cache) + len(fresh) > CACHE_SIZE:
                self._cache.clear()
            self._cache.update(fresh)
        return [found[key] for key in zip(texts, priorities)]

    def save(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        np.savez(out_dir / WEIGHTS_FILE, coef=self.coef, intercept=np.array([self.intercept]),
                 edges=self.edges, tokens=self.tokens)
        meta = {**self.metadata, "features": self.text_features.kind, "tokens_by_decile": self.tokens.tolist()}
        (out_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, model_dir: Path, *, models_dir: Path | None = None,
             encoder_dir: Path | None = None) -> LearnedLengthPredictor:
        """Load a saved model. ``response-lm`` features come from the response model it was trained
        with (``metadata["response_model"]`` under ``models_dir``), whatever LM the engine serves."""
        weights, meta_path = Path(model_dir) / WEIGHTS_FILE, Path(model_dir) / METADATA_FILE
        if not (weights.is_file() and meta_path.is_file()):
            raise LengthModelNotFound(f"no learned length model in {model_dir}: run "
                                      "'python manage.py prepare_models'")
        arrays = np.load(weights)
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        lm_dir = Path(models_dir) / meta["response_model"] if models_dir and meta.get("response_model") else None
        features = load_features(meta["features"], lm_dir=lm_dir, encoder_dir=encoder_dir)
        return cls(features, arrays["coef"], float(arrays["intercept"][0]), edges=arrays["edges"],
                   tokens=arrays["tokens"], metadata=meta)


def fit_ridge(features: np.ndarray, output_tokens: Sequence[int]):
    from sklearn.linear_model import RidgeCV
    return RidgeCV(alphas=ALPHAS).fit(features, np.log(np.asarray(output_tokens, dtype=np.float64)))


def out_of_fold_scores(features: np.ndarray, output_tokens: Sequence[int], folds: int = 5) -> np.ndarray:
    """Each row's ridge score from a model that did not train on it (5-fold)."""
    from sklearn.model_selection import KFold

    scores = np.zeros(len(output_tokens))
    tokens = np.asarray(output_tokens)
    for train, held_out in KFold(folds, shuffle=True, random_state=0).split(features):
        scores[held_out] = fit_ridge(features[train], tokens[train]).predict(features[held_out])
    return scores


def decile_medians(scores: np.ndarray, output_tokens: Sequence[int], max_tokens: int,
                   bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Score edges between deciles and the median real length of each, non-decreasing, capped."""
    tokens = np.asarray(output_tokens)
    edges = np.quantile(scores, np.linspace(0, 1, bins + 1)[1:-1])
    which = np.digitize(scores, edges)
    medians = [np.median(tokens[which == b]) if np.any(which == b) else np.median(tokens) for b in range(bins)]
    return edges, np.minimum(np.maximum.accumulate(np.round(medians)), max_tokens).astype(np.int64)


def train_length_predictor(texts: Sequence[str], priorities: Sequence[int], output_tokens: Sequence[int], *,
                           max_tokens: int, text_features: Sequence[TextFeatures],
                           metadata: dict[str, Any] | None = None) -> LearnedLengthPredictor:
    """Fit on real reply lengths with whichever of ``text_features`` ranks the training replies best
    out of fold (5-fold Kendall tau); the deciles come from those out-of-fold scores."""
    from scipy.stats import kendalltau

    if len(texts) < 20:
        raise ValueError(f"{len(texts)} rows are too few to train the length model on (at least 20)")
    candidates = {}
    for features in text_features:
        matrix = length_features(features, texts, priorities)
        scores = out_of_fold_scores(matrix, output_tokens)
        candidates[features.kind] = (features, matrix, scores, float(kendalltau(scores, output_tokens).statistic))
    best = max(candidates, key=lambda kind: candidates[kind][3])
    features, matrix, scores, _ = candidates[best]
    edges, tokens = decile_medians(scores, output_tokens, max_tokens)
    ridge = fit_ridge(matrix, output_tokens)
    meta = {**(metadata or {}), "alpha": float(ridge.alpha_), "rows": len(texts), "max_tokens": max_tokens,
            "cross_validated_tau": {kind: c[3] for kind, c in candidates.items()}}
    return LearnedLengthPredictor(features, ridge.coef_, float(ridge.intercept_), edges=edges, tokens=tokens,
                                  metadata=meta)
