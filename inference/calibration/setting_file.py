"""Writing a calibrated machine + model as a simulator setting file (``scheduling/settings`` schema).

The schema describes a GPU by its memory and derives the KV capacity from it; here the
capacity is what the engine was given, so the memory written is the nominal size that
gives back exactly that many blocks under the schema's rule (0.8 x memory, less 5%, less bf16
weights). It is not the machine's memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import yaml

from scheduling.hardware import (BYTES_PER_BF16, GIB, HardwareSetting, SettingError,
                                 setting_from_mapping)

COEFFICIENTS = ("c1", "c2", "prefill_a", "prefill_b")
V2_COEFFICIENTS = ("per_decode_s", "per_prefill_chunk_s", "host_overhead_s")
"""Written when the fit has them (the v2 model); a setting without them reads them as 0."""


def model_sizes(config, num_params: int) -> dict[str, float | int]:
    """hidden_size, num_layers, kv_hidden_size and num_params_b of a transformers config."""
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    num_kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    return {"num_params_b": float(f"{num_params / 1e9:.4g}"),
            "hidden_size": int(config.hidden_size),
            "num_layers": int(config.num_hidden_layers),
            "kv_hidden_size": int(num_kv_heads * head_dim)}


def nominal_memory_gib(sizes: dict[str, float | int], kv_capacity_tokens: int, block_size: int) -> float:
    """Memory (GiB) whose KV capacity under the schema's rule is ``kv_capacity_tokens``
    rounded down to whole blocks."""
    defaults = HardwareSetting.__dataclass_fields__
    usable_share = defaults["gpu_memory_utilization"].default - defaults["activation_fraction"].default
    num_blocks = kv_capacity_tokens // block_size
    bytes_per_block = 2 * BYTES_PER_BF16 * sizes["kv_hidden_size"] * sizes["num_layers"] * block_size
    weights = sizes["num_params_b"] * 1e9 * BYTES_PER_BF16
    # Half a block of slack, so rounding the figure cannot drop or add a block.
    needed = (num_blocks + 0.5) * bytes_per_block + weights
    return math.ceil(needed / (GIB * usable_share) * 1e6) / 1e6


def setting_mapping(*, name: str, description: str, sizes: dict[str, float | int],
                    coefficients: dict[str, float], kv_capacity_tokens: int, block_size: int,
                    sources: Sequence[str]) -> dict:
    """The setting as a plain mapping, checked by the same loader the simulator uses."""
    mapping = {"name": name, "description": description,
               "gpu_memory_gib": nominal_memory_gib(sizes, kv_capacity_tokens, block_size),
               **sizes,
               **{key: float(f"{coefficients[key]:.6g}") for key in COEFFICIENTS},
               **{key: float(f"{coefficients[key]:.6g}") for key in V2_COEFFICIENTS
                  if key in coefficients},
               # The engine recomputes preempted requests; swapping is never used, not measured.
               "kv_reload_s_per_token": 0.0,
               "block_size": block_size,
               "preemption_mode": "recompute",
               "sources": list(sources)}
    setting = setting_from_mapping(dict(mapping), source=name)
    expected = kv_capacity_tokens // block_size * block_size
    if setting.kv_capacity_tokens != expected:  # a bug in nominal_memory_gib, not bad input
        raise SettingError(f"nominal memory gives {setting.kv_capacity_tokens} KV tokens, "
                           f"expected {expected}")
    return mapping


def write_setting_file(path: str | Path, mapping: dict, header: str = "") -> Path:
    """Write ``mapping`` as YAML (keys in the given order), after ``header`` as comment lines."""
    path = Path(path)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    body = yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(comment + body)
    return path
