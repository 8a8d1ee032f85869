"""The prefill guard: how much prefill of less urgent requests one iteration may carry while
urgent requests decode in it.

At realistic limits the waiting queue is short, and what an urgent request experiences is
decided by what shares its iterations: every prefill chunk in an iteration lengthens it for
every decode in it (docs/FINDINGS.md, section 3). A policy that guards its urgent decodes
hands the scheduler one ``PrefillGuard`` per iteration; the scheduler then cuts the chunks of
requests the guard does not exempt (and holds their admission) once the allowance is spent.
Requests the guard exempts (the urgent ones themselves, and overdue ones under aging) are
never limited, so an urgent arrival's own prefill and the starvation bound are unaffected.

With a step-time model the allowance is seconds of prefill compute (chunk costs from
``StepTimeModel.prefill_s``, swap-ins from ``swap_in_s``); without one (an engine that was not
calibrated) it is a number of prompt tokens.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from scheduling.request import Request
from scheduling.step_time import StepTimeModel


@dataclass(slots=True)
class PrefillGuard:
    """One iteration's allowance for the prefill of requests the guard does not exempt."""

    allowance: float
    """What is left this iteration: seconds of compute, or tokens when ``step_time`` is None."""
    step_time: StepTimeModel | None
    is_exempt: Callable[[Request], bool]

    def max_new_tokens(self, request: Request, num_tokens: int) -> int:
        """How many of the next ``num_tokens`` prompt tokens of ``request`` fit this iteration."""
        if num_tokens <= 0 or self.is_exempt(request):
            return num_tokens
        if self.step_time is None:
            return max(0, min(num_tokens, int(self.allowance)))
        return largest_chunk_within(self.step_time, request.num_computed_tokens, num_tokens,
                                    self.allowance)

    def charge_prefill(self, request: Request, num_new_tokens: int, num_cached_tokens: int) -> None:
        if self.is_exempt(request):
            return
        self.allowance -= (num_new_tokens if self.step_time is None
                           else self.step_time.prefill_s(num_new_tokens, num_cached_tokens))

    def allows_swap_in(self, request: Request) -> bool:
        """May ``request``'s KV come back from host memory this iteration? (It costs time too.)"""
        return self.is_exempt(request) or self._swap_in_cost(request) <= self.allowance

    def charge_swap_in(self, request: Request) -> None:
        if not self.is_exempt(request):
            self.allowance -= self._swap_in_cost(request)

    def _swap_in_cost(self, request: Request) -> float:
        if self.step_time is None:
            return 0.0  # a token allowance counts prompt tokens computed, not KV moved
        return self.step_time.swap_in_s(request.num_computed_tokens)


def largest_chunk_within(model: StepTimeModel, num_cached_tokens: int, max_tokens: int,
                         budget_s: float) -> int:
    """The most tokens (up to ``max_tokens``) a chunk after ``num_cached_tokens`` may have for
    ``model.prefill_s`` to stay within ``budget_s``.

    The quadratic's root is only a first guess (this runs for every guarded chunk); the answer
    is checked against ``prefill_s`` itself, so a different prefill formula stays correct.
    """
    prefill_s = model.prefill_s
    if budget_s <= 0:
        return 0
    if prefill_s(max_tokens, num_cached_tokens) <= budget_s:
        return max_tokens
    a, b = model.prefill_a, model.prefill_b
    linear = 2 * a * num_cached_tokens + b
    if a > 0:
        guess = int((-linear + math.sqrt(linear * linear + 4 * a * budget_s)) / (2 * a))
    else:
        guess = int(budget_s / linear) if linear > 0 else max_tokens
    n = max(0, min(guess, max_tokens))
    while n > 0 and prefill_s(n, num_cached_tokens) > budget_s:
        n -= 1
    while n < max_tokens and prefill_s(n + 1, num_cached_tokens) <= budget_s:
        n += 1
    return n
