"""Hardware/model settings: the step-time coefficients and the KV-cache capacity they imply.

Built-in settings live as YAML files in ``scheduling/settings/``; a user's own file
(YAML or JSON) has the same keys. Everything is validated on construction so a
bad file fails with a message naming the key, never later in the simulator.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

import yaml

SETTINGS_DIR = Path(__file__).with_name("settings")
BYTES_PER_BF16 = 2
GIB = 1024**3
PREEMPTION_MODES = ("recompute", "swap", "auto")


class SettingError(ValueError):
    """A setting name or file that cannot be used; the message names the problem."""


@dataclass(frozen=True)
class HardwareSetting:
    """One GPU + model pair. Times in seconds, memory in GiB, model size in billions."""

    name: str
    gpu_memory_gib: float
    num_params_b: float
    hidden_size: int
    num_layers: int
    c1: float
    """Decode cost per token of context (s): attention reads the KV cache."""
    c2: float
    """Fixed cost per iteration (s): one read of the weights."""
    prefill_a: float
    """Quadratic prefill coefficient (s / token^2): attention over the prompt."""
    prefill_b: float
    """Linear prefill coefficient (s / token): the matrix multiplies."""
    kv_reload_s_per_token: float
    """Cost of bringing one token's KV back from host memory after a swap."""
    per_decode_s: float = 0.0
    """Cost per decode in the batch beyond its context (sampling, per-row kernels)."""
    per_prefill_chunk_s: float = 0.0
    """Cost per prefill chunk: each chunk is its own forward pass in a simple engine."""
    host_overhead_s: float = 0.0
    """Host time per iteration outside the accelerator (scheduling, bookkeeping, launches)."""
    kv_hidden_size: int = 0
    """Width of K (= of V) per layer: num_kv_heads x head_dim. 0 means hidden_size (no GQA)."""
    block_size: int = 32
    gpu_memory_utilization: float = 0.8
    activation_fraction: float = 0.05
    preemption_mode: str = "auto"
    description: str = ""
    sources: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("gpu_memory_gib", "num_params_b"):
            _require(getattr(self, name) > 0, f"{name} must be > 0")
        for name in ("hidden_size", "num_layers", "block_size"):
            value = getattr(self, name)
            _require(isinstance(value, int) and value > 0, f"{name} must be a positive integer")
        _require(isinstance(self.kv_hidden_size, int) and self.kv_hidden_size >= 0,
                 "kv_hidden_size must be a non-negative integer")
        for name in ("c1", "c2", "prefill_a", "prefill_b", "kv_reload_s_per_token",
                     "per_decode_s", "per_prefill_chunk_s", "host_overhead_s"):
            _require(getattr(self, name) >= 0, f"{name} must be >= 0")
        _require(0 < self.gpu_memory_utilization <= 1, "gpu_memory_utilization must be in (0, 1]")
        _require(0 <= self.activation_fraction < self.gpu_memory_utilization,
                 "activation_fraction must be in [0, gpu_memory_utilization)")
        _require(self.preemption_mode in PREEMPTION_MODES,
                 f"preemption_mode must be one of {', '.join(PREEMPTION_MODES)}")
        _require(self.num_kv_blocks >= 1,
                 f"no memory left for the KV cache: {self.gpu_memory_gib} GiB cannot hold "
                 f"{self.num_params_b}B bf16 weights")

    @property
    def kv_bytes_per_token(self) -> int:
        """K and V, bf16, every layer."""
        width = self.kv_hidden_size or self.hidden_size
        return 2 * BYTES_PER_BF16 * width * self.num_layers

    @property
    def kv_capacity_bytes(self) -> float:
        """0.8 x GPU memory, less 5% for activations, less the bf16 weights (the reference's rule)."""
        usable = self.gpu_memory_gib * GIB * (self.gpu_memory_utilization - self.activation_fraction)
        return usable - self.num_params_b * 1e9 * BYTES_PER_BF16

    @property
    def num_kv_blocks(self) -> int:
        return max(0, math.floor(self.kv_capacity_bytes / (self.kv_bytes_per_token * self.block_size)))

    @property
    def kv_capacity_tokens(self) -> int:
        return self.num_kv_blocks * self.block_size


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SettingError(message)


def builtin_setting_names() -> list[str]:
    return sorted(path.stem for path in SETTINGS_DIR.glob("*.yaml"))


def load_builtin_setting(name: str) -> HardwareSetting:
    path = SETTINGS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise SettingError(
            f"unknown setting {name!r}; built-in settings: {', '.join(builtin_setting_names())}"
        )
    return load_setting_file(path)


def load_setting_file(path: str | Path) -> HardwareSetting:
    """Read a YAML or JSON setting file (same keys as the built-ins)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise SettingError(f"cannot read setting file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SettingError(f"setting file {path} is not valid {path.suffix[1:] or 'YAML'}: "
                           f"{str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise SettingError(f"setting file {path} must hold a mapping of keys to values")
    data.setdefault("name", path.stem)
    return setting_from_mapping(data, source=str(path))


def setting_from_mapping(data: dict, source: str = "setting") -> HardwareSetting:
    known = {f.name: f for f in fields(HardwareSetting)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SettingError(f"{source}: unknown key(s) {', '.join(unknown)}; "
                           f"allowed: {', '.join(known)}")
    missing = [name for name, f in known.items()
               if name not in data and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise SettingError(f"{source}: missing key(s) {', '.join(missing)}")
    values = {name: _coerce(name, value, known[name].type, source) for name, value in data.items()}
    try:
        return HardwareSetting(**values)
    except SettingError as exc:
        raise SettingError(f"{source}: {exc}") from None


def _coerce(name: str, value, expected: str, source: str):
    if expected == "float":
        if isinstance(value, str):  # YAML 1.1 reads 1e-8 (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise SettingError(f"{source}: {name} must be a number, got {value!r}")
        return float(value)
    if expected == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingError(f"{source}: {name} must be an integer, got {value!r}")
        return value
    if expected == "str":
        if not isinstance(value, str):
            raise SettingError(f"{source}: {name} must be a string, got {value!r}")
        return value
    if expected.startswith("tuple"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingError(f"{source}: {name} must be a list of strings")
        return tuple(value)
    raise AssertionError(f"unhandled field type {expected}")
