"""The under-triage safety rule: an uncertain call is acted on at the more urgent plausible level.

Sending an ambulance to a sprain costs minutes; queueing a cardiac arrest behind
sprains costs a life. So when the classifier is unsure, the rule leans urgent.
Its two numbers are chosen on the validation split (``choose_safety_rule``),
never on test, and stored with the trained classifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inference.triage.evaluation import (CRITICAL_LEVELS, argmax, confusion_matrix, macro_f1,
                                         over_triage_rate, under_triage_rate)

DEFAULT_THRESHOLD = 0.6
DEFAULT_FLOOR = 0.2


@dataclass(frozen=True)
class SafetyRule:
    """Act on the argmax level when its probability is at least ``threshold``; otherwise act
    on the most urgent level (lowest number) whose probability is at least ``floor``.

    The result is never less urgent than the argmax (the argmax itself qualifies when
    its probability reaches ``floor``), and a confident prediction is left untouched.
    ``threshold=0`` switches the rule off.
    """

    threshold: float = DEFAULT_THRESHOLD
    floor: float = DEFAULT_FLOOR

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:  # also rejects NaN
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold!r}")
        if not 0.0 < self.floor <= 1.0:
            raise ValueError(f"floor must be in (0, 1], got {self.floor!r}")

    def apply(self, probabilities: Sequence[float]) -> int:
        """The level to act on for one call's probability vector (levels 0..4)."""
        top = argmax(probabilities)
        if probabilities[top] >= self.threshold:
            return top
        plausible = [k for k, p in enumerate(probabilities) if p >= self.floor]
        return min(plausible, default=top)


def apply_safety_rule(probabilities: Sequence[float], threshold: float = DEFAULT_THRESHOLD,
                      floor: float = DEFAULT_FLOOR) -> int:
    """``SafetyRule(threshold, floor).apply(probabilities)``, for callers without a tuned rule."""
    return SafetyRule(threshold, floor).apply(probabilities)


THRESHOLD_GRID = tuple(round(0.40 + 0.05 * i, 2) for i in range(12))   # 0.40 .. 0.95
FLOOR_GRID = tuple(round(0.05 + 0.05 * i, 2) for i in range(8))         # 0.05 .. 0.40


def choose_safety_rule(probabilities: Sequence[Sequence[float]], true: Sequence[int], *,
                       target_critical_under: float = 0.02,
                       max_extra_over_triage: float = 0.05) -> SafetyRule:
    """Pick threshold and floor on VALIDATION probabilities and labels.

    Only rules adding at most ``max_extra_over_triage`` to the argmax over-triage rate
    are considered (over-triage must stay modest). Among those that bring critical
    under-triage down to ``target_critical_under`` (set below the 3 % goal, as unseen
    scenarios are harder than validation), the one with the least over-triage wins,
    then the higher macro-F1; if none gets there, the one with the least critical
    under-triage wins, then the least over-triage.
    """
    off = SafetyRule(threshold=0.0)
    base_over = over_triage_rate(confusion_matrix(true, [off.apply(p) for p in probabilities]))
    scored = []
    for rule in [off] + [SafetyRule(t, f) for t in THRESHOLD_GRID for f in FLOOR_GRID if f < t]:
        confusion = confusion_matrix(true, [rule.apply(p) for p in probabilities])
        over = over_triage_rate(confusion)
        if over - base_over <= max_extra_over_triage + 1e-12:
            scored.append((under_triage_rate(confusion, CRITICAL_LEVELS), over,
                           -macro_f1(confusion), rule))
    reaching = [s for s in scored if s[0] <= target_critical_under + 1e-12]
    if reaching:
        return min(reaching, key=lambda s: (s[1], s[2]))[3]
    return min(scored, key=lambda s: (s[0], s[1], s[2]))[3]
