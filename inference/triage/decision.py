"""Calibrated probabilities and the cost-sensitive choice of the level to act on.

A fine-tuned classifier is over-confident; temperature scaling (one number, fitted on the
validation split by likelihood) makes its probabilities honest without changing their order.
The level acted on is then the one with the least expected cost under an explicit cost matrix,
``cost[true][acted]``: a call acted on as less urgent than it is (under-triage) costs far more
when it is truly immediate or emergent than over-triage ever does. So an uncertain call leans
urgent, by as much as its probabilities and the costs say, and the trade is written down.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from inference.levels import NUM_LEVELS

CostMatrix = tuple[tuple[float, ...], ...]


def cost_matrix(*, critical_under: float = 8.0, under: float = 2.0, over: float = 1.0,
                critical_levels: Sequence[int] = (0, 1)) -> CostMatrix:
    """``cost[true][acted]``: 0 on the diagonal; per level of distance, ``over`` when acted on as
    more urgent, ``under`` when less urgent, ``critical_under`` when less urgent and the true
    level is critical (0 or 1). Distances count because a P0 sent as P4 is worse than as P1."""
    if min(critical_under, under, over) < 0:
        raise ValueError("costs must be non-negative")
    rows = []
    for true in range(NUM_LEVELS):
        row = []
        for acted in range(NUM_LEVELS):
            distance = abs(true - acted)
            if acted < true:
                row.append(over * distance)
            elif acted > true:
                row.append((critical_under if true in critical_levels else under) * distance)
            else:
                row.append(0.0)
        rows.append(tuple(row))
    return tuple(rows)


DEFAULT_COSTS = {"critical_under": 8.0, "under": 2.0, "over": 1.0}
"""Under-triage of a true 0-1 call costs 8 per level, of a 2-4 call 2 per level; over-triage 1.

Read as: sending an immediate or emergent call one level too low is as bad as over-triaging
eight calls by one level. With calibrated probabilities that means acting on level 0 or 1
whenever its probability reaches roughly 1/9 of the competing level's, rather than 1/2."""


@dataclass(frozen=True)
class CostSensitiveDecision:
    """Act on the level with the least expected cost under ``costs`` (``cost[true][acted]``)."""

    costs: CostMatrix = cost_matrix(**DEFAULT_COSTS)

    def __post_init__(self) -> None:
        if len(self.costs) != NUM_LEVELS or any(len(row) != NUM_LEVELS for row in self.costs):
            raise ValueError(f"cost matrix must be {NUM_LEVELS}x{NUM_LEVELS}")

    def expected_costs(self, probabilities: Sequence[float]) -> list[float]:
        return [sum(p * self.costs[true][acted] for true, p in enumerate(probabilities))
                for acted in range(NUM_LEVELS)]

    def apply(self, probabilities: Sequence[float]) -> int:
        """The level to act on; a tie goes to the more urgent level."""
        expected = self.expected_costs(probabilities)
        return min(range(NUM_LEVELS), key=lambda k: (expected[k], k))


def temperature_scale(probabilities: Sequence[float], temperature: float) -> tuple[float, ...]:
    """softmax(log p / T): the same as dividing the logits by T (log p differs from them by a
    constant). T > 1 softens over-confident probabilities; the order never changes."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    logs = [math.log(max(p, 1e-12)) / temperature for p in probabilities]
    top = max(logs)
    exps = [math.exp(v - top) for v in logs]
    total = sum(exps)
    return tuple(e / total for e in exps)


def negative_log_likelihood(probabilities: Sequence[Sequence[float]], true: Sequence[int],
                            temperature: float) -> float:
    return -sum(math.log(max(temperature_scale(p, temperature)[t], 1e-12))
                for p, t in zip(probabilities, true)) / max(len(true), 1)


def fit_temperature(probabilities: Sequence[Sequence[float]], true: Sequence[int], *,
                    low: float = 0.05, high: float = 20.0, iterations: int = 60) -> float:
    """The temperature minimising validation negative log-likelihood (golden-section search on
    log T; the likelihood is unimodal in T)."""
    if not true:
        raise ValueError("need labelled probabilities to fit a temperature")
    a, b = math.log(low), math.log(high)
    ratio = (math.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    nll = lambda log_t: negative_log_likelihood(probabilities, true, math.exp(log_t))  # noqa: E731
    fc, fd = nll(c), nll(d)
    for _ in range(iterations):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = nll(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = nll(d)
    return math.exp((a + b) / 2)


def expected_calibration_error(probabilities: Sequence[Sequence[float]], true: Sequence[int],
                               num_bins: int = 10) -> float:
    """Mean |confidence - accuracy| of the top level over equal-width confidence bins, weighted
    by the calls in each bin: 0 for perfectly calibrated probabilities."""
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(num_bins)]
    for p, t in zip(probabilities, true):
        top = max(range(len(p)), key=lambda k: (p[k], -k))
        bins[min(int(p[top] * num_bins), num_bins - 1)].append((p[top], top == t))
    total = sum(len(b) for b in bins)
    return sum(abs(sum(c for c, _ in b) / len(b) - sum(ok for _, ok in b) / len(b)) * len(b)
               for b in bins if b) / max(total, 1)
