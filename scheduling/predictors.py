"""The urgency and length predictors in front of the scheduler: their latency and their errors.

The reference injected errors with wrong clamps (priority clamped to 1..5, lengths
mixed with bucket indices). Here a priority error is always one level, kept in 0..4
by reflection, and a length error is always relative to the true length.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

from scheduling.request import NUM_PRIORITIES, Request

GIVEN_PREDICTIONS_KEY = "given_predictions"
"""Key in ``Request.extra``: a frozenset of the prediction field names ("predicted_priority",
"predicted_output_tokens") that came from the workload (a trace's columns), not a predictor."""

_MAX_PRIORITY = NUM_PRIORITIES - 1


@dataclass(frozen=True, slots=True)
class PredictorConfig:
    """How late and how wrong the predictors are; the defaults are an instant, perfect oracle."""

    latency_s: float = 0.0
    """Time from arrival until both predictions are ready and the scheduler sees the request."""
    priority_error_rate: float = 0.0
    """Probability that the predicted urgency is one level off."""
    length_error_rate: float = 0.0
    """Half-width r of the relative length error: predicted = true * U(1 - r, 1 + r)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.latency_s < math.inf:
            raise ValueError(f"latency_s must be a finite number >= 0, got {self.latency_s!r}")
        for name in ("priority_error_rate", "length_error_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:  # also rejects NaN
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")


def ready_time_s(request: Request, config: PredictorConfig) -> float:
    """When the simulator makes ``request`` visible to the scheduler: after the predictors ran."""
    return request.arrival_time_s + config.latency_s


def mispredict_priority(priority: int, go_up: bool) -> int:
    """The level one step from ``priority``, reflected at the edges so it stays in 0..4.

    Level 0 always becomes 1 and level 4 always becomes 3, whatever ``go_up`` says:
    the error is still exactly one level, never a clamp that silently makes it zero.
    """
    if priority == 0:
        return 1
    if priority == _MAX_PRIORITY:
        return _MAX_PRIORITY - 1
    return priority + 1 if go_up else priority - 1


def perturb_length(true_tokens: int, error_rate: float, u: float) -> int:
    """``max(1, round(true_tokens * f))`` with ``f = 1 - r + 2 r u``, i.e. U(1 - r, 1 + r) for u ~ U[0, 1)."""
    factor = 1.0 - error_rate + 2.0 * error_rate * u
    return max(1, round(true_tokens * factor))


def apply_predictions(
    requests: Iterable[Request],
    config: PredictorConfig,
    rng: random.Random,
    *,
    keep_given: bool = True,
) -> None:
    """Set each request's ``predicted_priority`` and ``predicted_output_tokens`` in place.

    Every prediction is made afresh from the truth, so calling this twice never
    compounds errors, and with both rates 0 the predictions equal the truth:
    - priority: with probability ``priority_error_rate`` it is one level off, up or
      down with equal probability, reflected at the edges (0 -> 1, 4 -> 3);
    - length: ``max(1, round(output_tokens * U(1 - r, 1 + r)))``, r = ``length_error_rate``.

    With ``keep_given`` (the default), a field named in the request's
    ``extra[GIVEN_PREDICTIONS_KEY]`` (set by ``read_trace_csv`` for a non-empty
    predicted column) is left exactly as given: it already is a predictor's output.
    With ``keep_given=False`` given values are replaced like any other.

    Each request consumes exactly three draws from ``rng`` whatever the rates and
    given fields, so runs that differ only in an error rate see the same random
    numbers: raising a rate only adds mispredictions (common random numbers).
    """
    for request in requests:
        u_wrong, u_direction, u_length = rng.random(), rng.random(), rng.random()
        given = request.extra.get(GIVEN_PREDICTIONS_KEY, frozenset()) if keep_given else frozenset()
        if "predicted_priority" not in given:
            wrong = u_wrong < config.priority_error_rate
            request.predicted_priority = (
                mispredict_priority(request.priority, go_up=u_direction < 0.5)
                if wrong else request.priority
            )
        if "predicted_output_tokens" not in given:
            request.predicted_output_tokens = perturb_length(
                request.output_tokens, config.length_error_rate, u_length
            )
