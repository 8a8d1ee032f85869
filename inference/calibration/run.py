"""One calibration: time the designed probes on a model, fit, and describe the result as a setting."""

from __future__ import annotations

import datetime
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from inference.calibration.design import BLOCK_SIZE, Probe, design, run_probes
from inference.calibration.fit import Fit, fit_step_time
from inference.calibration.setting_file import model_sizes, setting_mapping
from inference.calibration.steps import StepSample
from scheduling.plan import BatchLimits

DEFAULT_KV_CAPACITY_TOKENS = 8192
"""The KV budget the engine is given (and the setting records): ample for a 135M model on a CPU."""

WRITTEN_FIT = ("simulator", "latency")
"""The simulator's own coefficients, fitted for end-to-end latency (see ``fit``)."""
OTHER_FITS = (("simulator", "relative"), ("simulator", "absolute"),
              ("simulator-v1", "latency"), ("padded-decode", "latency"))
"""Reported for comparison: other weightings, and models the simulator cannot run (to show
what its model leaves out)."""


@dataclass
class Calibration:
    """What was timed, every fit, and the one written (``chosen``)."""

    samples: list[StepSample]
    fits: list[Fit]
    chosen: Fit
    device: str
    num_threads: int
    kv_capacity_tokens: int
    block_size: int
    elapsed_s: float
    clock_label: str
    sizes: dict[str, float | int] = field(default_factory=dict)

    def setting(self, *, name: str, model_label: str, command: str = "",
                engine_version: str = "") -> dict:
        """The setting-file mapping for this machine + model."""
        today = datetime.date.today().isoformat()
        quality = ", ".join(f"{kind} {q.mean_relative_error:.1%} ({q.num_steps} steps)"
                            for kind, q in self.chosen.per_kind.items())
        sources = [
            f"measured {today}: {len(self.samples)} iterations of inference.engine.Engine running "
            f"{model_label} on {self.device} ({machine_label()}, torch threads {self.num_threads}), "
            f"designed probes of inference/calibration/design.py, timed on the {self.clock_label} clock",
            f"fit: non-negative least squares with {self.chosen.weighting} weighting "
            f"(inference/calibration/fit.py) on model time plus the engine's own per-step "
            f"bookkeeping; R2 {self.chosen.r2:.4f}; mean relative error per step kind: {quality}",
            f"KV capacity {self.kv_capacity_tokens} tokens as given to the engine; gpu_memory_gib "
            f"is the nominal size that yields it under the schema's rule, not this machine's memory",
        ]
        if engine_version:
            sources.append(f"engine code: {engine_version}")
        if command:
            sources.append(f"command: {command}")
        return setting_mapping(name=name,
                               description=f"{model_label} on {self.device} ({machine_label()}), "
                                           f"calibrated from the real engine",
                               sizes=self.sizes, coefficients=self.chosen.coefficients,
                               kv_capacity_tokens=self.kv_capacity_tokens,
                               block_size=self.block_size, sources=sources)


def machine_label() -> str:
    """CPU model name (Linux), else the platform's processor string."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_calibration(model, *, device: str, quick: bool = False,
                    kv_capacity_tokens: int = DEFAULT_KV_CAPACITY_TOKENS, seed: int = 0,
                    probes: list[Probe] | None = None,
                    clock: Callable[[], float] = time.monotonic, clock_label: str = "wall",
                    on_probe: Callable[[int, int], None] | None = None) -> Calibration:
    """Time ``probes`` (default: ``design(quick)``) on ``model`` and fit the step-time coefficients."""
    import torch

    from inference.engine import Engine

    probes = probes if probes is not None else design(quick)
    needed = max(p.num_kv_tokens(BLOCK_SIZE) for p in probes)
    if kv_capacity_tokens < needed:
        raise ValueError(f"kv_capacity_tokens must be >= {needed} (the largest probe), "
                         f"got {kv_capacity_tokens}")

    def make_engine(limits: BatchLimits) -> Engine:
        return Engine(model, None, "fcfs", limits, kv_capacity_tokens, block_size=BLOCK_SIZE,
                      device=device, clock=clock, eos_token_ids=())

    vocab_size = int(model.config.vocab_size)
    started = time.monotonic()
    # The quick design first, not recorded: the first passes of each batch shape pay for
    # allocation and kernel choice, which a serving engine paid long ago (a single warm-up probe
    # left the fit about 10% slow against a warmed-up replay).
    run_probes(make_engine, probes[:1] if quick else design(quick=True), vocab_size=vocab_size,
               seed=seed + 1)
    samples = run_probes(make_engine, probes, vocab_size=vocab_size, seed=seed, on_probe=on_probe)
    elapsed_s = time.monotonic() - started
    fits = [fit_step_time(samples, name, weighting) for name, weighting in (WRITTEN_FIT, *OTHER_FITS)]
    num_params = sum(p.numel() for p in model.parameters())
    return Calibration(samples, fits, fits[0], device, torch.get_num_threads(),
                       kv_capacity_tokens, BLOCK_SIZE, elapsed_s, clock_label,
                       model_sizes(model.config, num_params))
