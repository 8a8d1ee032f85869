"""Fitting step-time coefficients to measured iterations: non-negative least squares, numpy only.

The simulator's model (``scheduling.step_time``) is linear in its coefficients::

    step = c2 * 1 + c1 * sum(decode contexts) + prefill_a * sum p(2s + p) + prefill_b * sum p
         + per_decode_s * decodes + per_prefill_chunk_s * chunks      (model time)
         + host_overhead_s                                            (the engine's host time)

so each measured step is one row of a least-squares problem whose unknowns must be >= 0.
With at most a handful of unknowns the exact NNLS optimum is found by trying every support
(the optimum is the unconstrained solution on its own support, and any feasible support
solution is a candidate), which needs no scipy.

How rows are weighted decides what the fit is good at:

- ``latency`` (default): squared error times the step's batch size. A step that is off by
  e delays every request in it by e, so this is the error requests feel, summed; it is
  what end-to-end latency needs (the simulator's model cannot fit every step shape, and this
  puts its error where few requests notice);
- ``relative``: error / measured time, every step alike;
- ``absolute``: plain squares, led by the longest steps.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from inference.calibration.steps import STEP_KINDS, StepSample

Feature = Callable[[StepSample], float]

SIMULATOR_V1_FEATURES: dict[str, Feature] = {
    "c2": lambda s: 1.0,
    "c1": lambda s: float(s.decode_context_tokens),
    "prefill_a": lambda s: float(s.prefill_quadratic_tokens),
    "prefill_b": lambda s: float(s.num_prefill_tokens),
}
"""The step-time model before v2 (the reference's terms): the whole iteration, host time in c2."""

SIMULATOR_FEATURES: dict[str, Feature] = {
    **SIMULATOR_V1_FEATURES,
    "per_decode_s": lambda s: float(s.num_decodes),
    "per_prefill_chunk_s": lambda s: float(len(s.prefill_chunks)),
}
"""The simulator's step-time model (v2), fitted on model time; its ``host_overhead_s`` is the
engine's measured host time per iteration (see ``fit_step_time``)."""

PADDED_DECODE_FEATURES: dict[str, Feature] = {
    **SIMULATOR_V1_FEATURES,
    "c1": lambda s: float(s.padded_decode_tokens),
}
"""Diagnostic: decode cost by batch size x longest context (the batch attends over a padded rectangle)."""

MODELS: dict[str, dict[str, Feature]] = {
    "simulator": SIMULATOR_FEATURES,
    "simulator-v1": SIMULATOR_V1_FEATURES,
    "padded-decode": PADDED_DECODE_FEATURES,
}
SPLITS_HOST_TIME = frozenset({"simulator"})
"""Models fitted on model time, with the host time as its own per-iteration term."""


@dataclass(frozen=True)
class KindQuality:
    num_steps: int
    mean_relative_error: float
    """Mean of |predicted - measured| / measured over the steps of this kind."""
    total_relative_error: float
    """(sum predicted - sum measured) / sum measured: the bias in busy time."""
    felt_relative_error: float
    """The same with every step counted once per request in it: the bias requests' latency feels."""


@dataclass(frozen=True)
class Fit:
    model: str
    coefficients: dict[str, float]
    r2: float
    """Coefficient of determination on the measured step times (unweighted)."""
    per_kind: dict[str, KindQuality]
    weighting: str

    def predict(self, sample: StepSample) -> float:
        """The whole iteration (host time included)."""
        features = MODELS[self.model]
        return (self.coefficients.get("host_overhead_s", 0.0)
                + sum(self.coefficients[name] * feature(sample) for name, feature in features.items()))


def nnls(matrix: np.ndarray, target: np.ndarray) -> np.ndarray:
    """argmin ||Ax - y|| subject to x >= 0, exactly, for a few columns (every support tried)."""
    num_columns = matrix.shape[1]
    if num_columns > 10:
        raise ValueError(f"support enumeration is for a few unknowns, got {num_columns}")
    # Scale columns to unit norm so features of very different sizes are conditioned alike.
    norms = np.linalg.norm(matrix, axis=0)
    norms[norms == 0] = 1.0
    scaled = matrix / norms
    best, best_residual = np.zeros(num_columns), float(np.sum(target ** 2))
    for size in range(1, num_columns + 1):
        for support in itertools.combinations(range(num_columns), size):
            columns = list(support)
            solution, *_ = np.linalg.lstsq(scaled[:, columns], target, rcond=None)
            if np.any(solution < 0):
                continue
            candidate = np.zeros(num_columns)
            candidate[columns] = solution
            residual = float(np.sum((scaled @ candidate - target) ** 2))
            if residual < best_residual - 1e-15 * max(best_residual, 1.0):
                best, best_residual = candidate, residual
    return best / norms


WEIGHTINGS = ("latency", "relative", "absolute")


def fit_step_time(samples: Sequence[StepSample], model: str = "simulator",
                  weighting: str = "latency") -> Fit:
    """Fit ``model``'s coefficients (all >= 0) to ``samples``, rows weighted as ``weighting``."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    if not samples:
        raise ValueError("no step samples to fit")
    if any(s.duration_s <= 0 for s in samples):
        raise ValueError("every step sample needs a positive duration")
    features = MODELS[model]
    matrix = np.array([[feature(s) for feature in features.values()] for s in samples])
    measured = np.array([s.duration_s for s in samples])
    # v2 splits the iteration: the model terms are fitted on model time, and the host's own
    # time (scheduling, bookkeeping; no accelerator) is a measured constant per iteration.
    host_s = float(np.mean([s.host_s for s in samples])) if model in SPLITS_HOST_TIME else 0.0
    target = np.array([s.model_s for s in samples]) if model in SPLITS_HOST_TIME else measured
    if weighting == "latency":
        weights = np.sqrt([s.batch_size for s in samples])  # squared: error x batch size
    elif weighting == "relative":
        weights = 1.0 / measured
    else:
        weights = np.ones_like(measured)
    solution = nnls(matrix * weights[:, None], target * weights)
    coefficients = dict(zip(features, (float(x) for x in solution)))
    if model in SPLITS_HOST_TIME:
        coefficients["host_overhead_s"] = host_s
    return Fit(model, coefficients, *_quality(samples, matrix @ solution + host_s, measured), weighting)


def _quality(samples: Sequence[StepSample], predicted: np.ndarray,
             measured: np.ndarray) -> tuple[float, dict[str, KindQuality]]:
    total_sq = float(np.sum((measured - measured.mean()) ** 2))
    r2 = 1.0 - float(np.sum((predicted - measured) ** 2)) / total_sq if total_sq > 0 else 1.0
    kinds = np.array([s.kind for s in samples])
    batch = np.array([s.batch_size for s in samples])
    per_kind = {}
    for kind in STEP_KINDS:
        mask = kinds == kind
        if not mask.any():
            continue
        relative = np.abs(predicted[mask] - measured[mask]) / measured[mask]
        felt = (batch[mask] * predicted[mask]).sum() / (batch[mask] * measured[mask]).sum()
        per_kind[kind] = KindQuality(int(mask.sum()), float(relative.mean()),
                                     float(predicted[mask].sum() / measured[mask].sum() - 1.0),
                                     float(felt - 1.0))
    return r2, per_kind


def format_fit(fit: Fit) -> str:
    """One line of coefficients, one of quality per step kind."""
    coefficients = "  ".join(f"{name}={value:.4g}" for name, value in fit.coefficients.items())
    lines = [f"{fit.model} model ({fit.weighting} weighting): {coefficients}   R2={fit.r2:.4f}"]
    for kind, quality in fit.per_kind.items():
        lines.append(f"  {kind:8s} {quality.num_steps:4d} steps  mean |error| "
                     f"{quality.mean_relative_error:6.1%}  total {quality.total_relative_error:+6.1%}  "
                     f"felt by requests {quality.felt_relative_error:+6.1%}")
    return "\n".join(lines)
