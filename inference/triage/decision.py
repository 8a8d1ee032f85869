"""Calibrated probabilities and the cost-sensitive choice of the level to act on.

A fine-tuned classifier's probabilities are rarely calibrated (over-confident, or with label
smoothing a little under-confident); temperature scaling (one number, fitted on the validation
split by likelihood) makes them honest without changing their order.
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


def cost_matrix(*, critical_under: float = 4.0, under: float = 1.0, over: float = 1.0,
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


DEFAULT_COSTS = {"critical_under": 4.0, "under": 1.0, "over": 1.0}
"""Under-triage of a true 0-1 call costs 4 per level, of a 2-4 call 1 per level; over-triage 1.

Read as: sending an immediate or emergent call one level too low is as bad as over-triaging
four calls by one level. With calibrated probabilities that means acting on level 0 or 1
whenever its probability reaches about a quarter of the competing level's, rather than
half. Training chooses the matrix on validation (``choose_costs``); this is what it chose
for the shipped corpus, and the fallback for callers without a trained model."""

COST_GRID = tuple({"critical_under": w, "under": u, "over": 1.0}
                  for u in (1.0, 2.0) for w in (1.0, 2.0, 4.0, 8.0, 16.0))
"""The matrices training considers: critical under-triage 1-16 per level, other under-triage 1-2."""

TARGET_CRITICAL_UNDER = 0.01
"""Validation target for under-triage of true levels 0-1: half the issue's 2%, because calls
the corpus never produced are harder than its validation split (the old classifier's critical
under-triage was 2-3x higher on unseen calls than on validation)."""


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


def choose_costs(probabilities: Sequence[Sequence[float]], true: Sequence[int],
                 floors: Sequence[int | None], *, grid: Sequence[dict[str, float]] = COST_GRID,
                 target_critical_under: float = TARGET_CRITICAL_UNDER
                 ) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Choose the cost matrix on VALIDATION: calibrated probabilities, true levels, and each
    call's red-flag level (None: no flag), since the flags act after the decision.

    Among the matrices whose critical under-triage (decision then red flags) is at most
    ``target_critical_under``, the one with the least over-triage wins, then the higher
    macro-F1, then the smaller weights; if none reaches it, the least critical under-triage
    wins, then the least over-triage. Returns the costs and every matrix's figures (the trade).
    """
    from inference.triage.evaluation import CRITICAL_LEVELS, confusion_matrix, macro_f1, over_triage_rate
    from inference.triage.evaluation import under_triage_rate

    trade = []
    for costs in grid:
        rule = CostSensitiveDecision(cost_matrix(**costs))
        acted = [min(rule.apply(p), NUM_LEVELS if f is None else f) for p, f in zip(probabilities, floors)]
        confusion = confusion_matrix(true, acted)
        trade.append({**costs, "macro_f1": macro_f1(confusion),
                      "under_triage_rate_critical": under_triage_rate(confusion, CRITICAL_LEVELS),
                      "under_triage_rate": under_triage_rate(confusion),
                      "over_triage_rate": over_triage_rate(confusion)})
    reaching = [t for t in trade if t["under_triage_rate_critical"] <= target_critical_under + 1e-12]
    if reaching:
        best = min(reaching, key=lambda t: (t["over_triage_rate"], -t["macro_f1"], t["critical_under"], t["under"]))
    else:
        best = min(trade, key=lambda t: (t["under_triage_rate_critical"], t["over_triage_rate"],
                                         t["critical_under"], t["under"]))
    return {key: best[key] for key in ("critical_under", "under", "over")}, trade
