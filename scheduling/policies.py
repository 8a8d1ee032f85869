"""Scheduling policies: small strategy objects chosen by name from one registry.

A policy gives a total-order key (smaller runs earlier; ties end in arrival time,
then request id) and a few switches the scheduler reads. The scheduler does the
rest, identically for every policy, so comparisons are fair by construction.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scheduling.plan import BatchLimits
from scheduling.prefill_guard import PrefillGuard
from scheduling.request import NUM_PRIORITIES, Request
from scheduling.step_time import StepTimeModel
from scheduling.waiting_queue import AgingWaitingQueue, Key, WaitingQueue

DEFAULT_MAX_WAIT_S = 60.0
DEFAULT_TBT_TARGETS_S = (0.05, 0.05, 0.1, 0.1, 0.2)
"""Per-priority time-between-tokens targets for SLAI tiers (same as the default TPOT SLOs)."""


class Policy:
    """Base policy. Subclasses override ``key`` and the switches below."""

    name = "base"
    displaces_running = False
    """May a waiting request with a smaller key displace a running one when the batch is full?
    Only policies whose running keys never increase as work completes may say yes."""

    def key(self, request: Request) -> Key:
        raise NotImplementedError

    def bind(self, step_time: StepTimeModel | None, limits: BatchLimits,
             kv_capacity_tokens: int) -> None:
        """Told once, by the scheduler that will use this policy, what it schedules on: the
        step-time model (None in an engine that was not calibrated), the limits and the KV size."""

    def make_waiting_queue(self) -> WaitingQueue:
        return WaitingQueue(self.key)

    def prefill_guard(self, decodes: Sequence[Request], now: float) -> PrefillGuard | None:
        """Asked once per step, when something may be prefilled, with the decodes it will run:
        a limit on the prefill that may share their iteration, or None (no limit; the default)."""
        return None

    def may_displace(self, candidate: Request, victim: Request, for_memory: bool) -> bool:
        """Asked when ``candidate`` (waiting) ranks before ``victim`` (the worst running) and
        cannot start: for lack of a seat in the batch, or of KV memory (``for_memory``).

        Default: rank decides a seat; memory is waited for. Evicting for memory makes the
        victim pay a swap or recompute that slows every iteration, while memory frees up
        as requests finish (docs/FINDINGS.md: at 90% load it cost P0 latency, not saved it).
        """
        return not for_memory

    def split_decodes(self, decodes: list[Request], now: float,
                      kv_usage: float) -> tuple[list[Request], list[Request]]:
        """Split running decodes into (scheduled before any prefill, given the leftover budget
        after new prefills, best first by ``deferred_decode_key``).

        Default: every decode goes first, as in vLLM.
        """
        return decodes, []

    def deferred_decode_key(self, request: Request) -> Key:
        return self.key(request)

    def decodes_this_step(self, decodes: list[Request], now: float) -> list[Request]:
        """A batch cap: the running decodes that may compute a token this iteration (the rest
        wait, keeping their KV). Default: all of them."""
        return decodes

    def on_step_end(self, decodes: Sequence[Request], now: float, step_time_s: float,
                    num_iterations: int) -> None:
        """Told after each step of ``num_iterations`` iterations lasting ``step_time_s`` in all;
        SLAI tracks token deadlines and the mean iteration time."""


class FCFS(Policy):
    name = "fcfs"

    def key(self, request: Request) -> Key:
        return (request.arrival_time_s, request.request_id)


class ShortestJobFirst(Policy):
    """Shortest predicted remaining output first (SRPT on predictions), any urgency."""

    name = "sjf"
    displaces_running = True

    def key(self, request: Request) -> Key:
        return (request.predicted_remaining_output_tokens, request.arrival_time_s, request.request_id)


class DisplacesOnlyForUrgency:
    """Mixin: only a strictly more urgent class displaces a running request, and only a
    life-threatening (class 0) one does so for memory rather than for a seat.

    Within a class, rank still decides who is admitted and who is evicted under memory
    pressure, but not who is thrown out to make room: otherwise a victim, queued again
    ahead of a same-class newcomer, displaces it in turn and the two swap places every
    step, paying a KV swap or recompute each time.
    """

    def may_displace(self, candidate: Request, victim: Request, for_memory: bool) -> bool:
        more_urgent = self.key(candidate)[0] < self.key(victim)[0]
        return more_urgent and (not for_memory or candidate.predicted_priority == 0)


class PriorityJobFirst(DisplacesOnlyForUrgency, Policy):
    """Strict preemptive priority, FIFO inside a class."""

    name = "pjf"
    displaces_running = True

    def key(self, request: Request) -> Key:
        return (request.predicted_priority, request.arrival_time_s, request.request_id)


class Semantic(DisplacesOnlyForUrgency, Policy):
    """The paper's order: urgency first, then shortest predicted remaining work.

    Remaining work shrinks as a request runs, so its key is recomputed whenever
    running requests are compared; a waiting request's key does not change.
    """

    name = "semantic"
    displaces_running = True

    def key(self, request: Request) -> Key:
        # Inlined predicted_remaining_output_tokens: this runs for every running request
        # whenever the worst one is sought.
        remaining = request.predicted_output_tokens - request.num_output_tokens
        return (request.predicted_priority, remaining if remaining > 0 else 0,
                request.arrival_time_s, request.request_id)


PROMOTED_CLASS = 0.5
"""Where an overdue request ranks under semantic-aging: after class 0, before class 1."""


def check_max_wait_s(max_wait_s: float) -> None:
    if not max_wait_s > 0:  # also refuses NaN
        raise ValueError(f"max_wait_s must be > 0, got {max_wait_s}")


def aging_bounds_s(max_wait_s: float,
                   fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0)) -> tuple[float, ...]:
    """Per class, the wait after which a request is overdue: never for class 0, then
    ``max_wait_s`` x ``fractions`` for classes 1..4 (by default 1/4, 2/4, 3/4, 1).

    The most urgent class gets the shortest bound so that, when everything is overdue at
    once (a burst longer than the bound), earliest-deadline-first keeps the classes in order;
    with one bound for all, that became arrival order and a class could end up slower than a
    less urgent one (docs/FINDINGS.md, section 5). Nobody waits longer than ``max_wait_s``
    plus the time to drain what is ahead of it.
    """
    check_max_wait_s(max_wait_s)
    if (len(fractions) != NUM_PRIORITIES - 1 or not 0 < fractions[0]
            or any(b < a for a, b in zip(fractions, fractions[1:])) or fractions[-1] != 1):
        raise ValueError("aging fractions: 4 values for classes 1..4, > 0, not decreasing, "
                         "the last 1")
    return (math.inf,) + tuple(max_wait_s * fraction for fraction in fractions)


@dataclass
class SemanticAging(Semantic):
    """Semantic, with a bound on starvation: see ``AgingWaitingQueue`` and ``aging_bounds_s``."""

    max_wait_s: float = DEFAULT_MAX_WAIT_S
    name = "semantic-aging"

    def __post_init__(self) -> None:
        self._bounds_s = aging_bounds_s(self.max_wait_s)

    def key(self, request: Request) -> Key:
        urgency = PROMOTED_CLASS if request.promoted and request.predicted_priority > 0 \
            else request.predicted_priority
        remaining = request.predicted_output_tokens - request.num_output_tokens
        return (urgency, remaining if remaining > 0 else 0, request.arrival_time_s, request.request_id)

    def overdue_at(self, request: Request) -> float:
        return request.arrival_time_s + self._bounds_s[request.predicted_priority]

    def make_waiting_queue(self) -> WaitingQueue:
        return AgingWaitingQueue(self.key, self.overdue_at)


class VLLMPriority(Policy):
    """vLLM's ``--scheduling-policy priority``: priority then arrival; no displacement."""

    name = "vllm-priority"

    def key(self, request: Request) -> Key:
        return (request.predicted_priority, request.arrival_time_s, request.request_id)


@dataclass
class SLAI(Policy):
    """SLAI (arXiv 2508.01002): per-tier time-between-tokens deadlines.

    Tier targets come from priority. Each iteration, within the token budget:
    decodes about to miss their deadline, then partial prefills, then new prefills
    (stricter tier first, shortest prompt first), then the decodes that could wait.
    A decode's last schedulable time is its last token + TBT target - offset x mean
    iteration time; the offset doubles when KV use passes ``kv_pressure`` so decodes
    finish and free memory.
    """

    tbt_targets_s: tuple[float, ...] = DEFAULT_TBT_TARGETS_S
    kv_pressure: float = 0.9
    name = "slai"
    _total_step_s: float = field(default=0.0, repr=False)
    _num_iterations: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if len(self.tbt_targets_s) != NUM_PRIORITIES or min(self.tbt_targets_s) <= 0:
            raise ValueError(f"tbt_targets_s needs {NUM_PRIORITIES} positive values")

    def key(self, request: Request) -> Key:
        return (self.tbt_targets_s[request.predicted_priority], request.prompt_tokens,
                request.arrival_time_s, request.request_id)

    def split_decodes(self, decodes: list[Request], now: float,
                      kv_usage: float) -> tuple[list[Request], list[Request]]:
        offset = 2.0 if kv_usage >= self.kv_pressure else 1.0
        mean_step_s = self._total_step_s / self._num_iterations if self._num_iterations else 0.0
        slack = offset * mean_step_s
        urgent: list[Request] = []
        deferrable: list[Request] = []
        targets = self.tbt_targets_s
        for request in decodes:
            last_token_s = request.last_token_time_s if request.last_token_time_s is not None else now
            if now >= last_token_s + targets[request.predicted_priority] - slack:
                urgent.append(request)
            else:
                deferrable.append(request)
        return urgent, deferrable

    def deferred_decode_key(self, request: Request) -> Key:
        """Earliest token deadline first, when the leftover budget cannot take them all."""
        return (request.last_token_time_s + self.tbt_targets_s[request.predicted_priority],
                request.request_id)

    def on_step_end(self, decodes: Sequence[Request], now: float, step_time_s: float,
                    num_iterations: int) -> None:
        # A plain running mean: the same whether iterations are reported one by one or in
        # runs, so the simulator's fast-forward cannot change SLAI's decisions.
        self._total_step_s += step_time_s
        self._num_iterations += num_iterations


DEFAULT_GUARD_S = 0.2
"""``semantic-guard``: seconds of less urgent prefill one iteration may add, summed over the
urgent decodes it delays (so each of n urgent decodes waits at most ``guard_s / n``)."""
DEFAULT_GUARD_TOKENS = 512
"""The same allowance in prompt tokens, for a scheduler without a step-time model."""
SMITH_CLASS_WEIGHTS = (1.75, 1.5, 1.25, 1.0)
"""``semantic-guard``'s ``class_weights`` for the research comparison (docs/FINDINGS.md, section
3): what a second of latency is worth for classes 1..4. Not the default: the product promise is
urgency first at every level."""
LATE_FRACTIONS = (0.8125, 0.875, 0.9375, 1.0)
"""``semantic-guard``: when classes 1..4 are late, as fractions of twice ``max_wait_s``."""


@dataclass
class SemanticGuard(DisplacesOnlyForUrgency, Policy):
    """Urgency first, for what an urgent request shares as well as for who goes first.

    - Order: urgency class first, then predicted remaining *work*: what the request still
      costs the server in seconds, its remaining prefill (``prefill_s``) plus, per remaining
      output token, an iteration's time times the share of the batch it holds (a seat out of
      ``max_num_seqs`` or its KV out of the cache, whichever binds). Without a step-time
      model, work is remaining output tokens (``semantic``'s order). With ``class_weights``
      (research only), class 0 still goes first but classes 1..4 go by work over their weight
      (Smith's rule: the least weighted mean latency), so a short routine request may pass a
      long urgent one.
    - Guard: while class-0 requests decode, the prefill of other requests that shares their
      iteration is limited to ``guard_s`` / (number of class-0 decodes) seconds of compute
      (``guard_tokens`` / n tokens without a step-time model): the more emergencies a prefill
      would delay, the less of it runs.
    - Batch cap (``urgent_batch_cap``, off by default): while class-0 requests decode, at most
      this many other decodes (the best by key) share their iterations; the rest wait with
      their KV kept. For hardware where a batch costs much more than one sequence (a CPU: a
      decode of 8 takes about twice one alone), not for a GPU, where batching is nearly free.
    - Starvation bound: a request of class 1..4 waiting ``max_wait_s`` is overdue: it goes ahead
      of fresh requests (in this same order among the overdue, so a burst longer than the bound
      is served as without aging) and is exempt from the guard. Past 1.625, 1.75, 1.875, 2 x
      ``max_wait_s`` (classes 1..4) it is late: the late go first, earliest first, so an
      overload cannot starve anyone and a long burst still ends in class order. Overdue
      requests are exempt from the guard and the batch cap alike.

    A more urgent class displaces a running request for a seat, and class 0 for memory, as
    under ``semantic`` (with ``class_weights``, only class 0 displaces).
    """

    max_wait_s: float = DEFAULT_MAX_WAIT_S
    guard_s: float = DEFAULT_GUARD_S
    guard_tokens: int = DEFAULT_GUARD_TOKENS
    class_weights: tuple[float, ...] | None = None
    urgent_batch_cap: int | None = None
    name = "semantic-guard"
    displaces_running = True

    def __post_init__(self) -> None:
        self._bounds_s = aging_bounds_s(self.max_wait_s, (1.0, 1.0, 1.0, 1.0))
        self._late_bounds_s = aging_bounds_s(2 * self.max_wait_s, LATE_FRACTIONS)
        if not self.guard_s >= 0 or self.guard_tokens < 0:
            raise ValueError("guard_s and guard_tokens must be >= 0")
        if self.urgent_batch_cap is not None and (isinstance(self.urgent_batch_cap, bool)
                                                  or not isinstance(self.urgent_batch_cap, int)
                                                  or self.urgent_batch_cap < 0):
            raise ValueError(f"urgent_batch_cap must be an integer >= 0, got {self.urgent_batch_cap!r}")
        self._inverse_weights = None
        if self.class_weights is not None:
            if len(self.class_weights) != NUM_PRIORITIES - 1 or not min(self.class_weights) > 0:
                raise ValueError(f"class_weights needs {NUM_PRIORITIES - 1} positive values "
                                 f"(classes 1..4)")
            self._inverse_weights = (1.0,) + tuple(1.0 / w for w in self.class_weights)
        self._step_time: StepTimeModel | None = None
        self._iteration_s = 0.0
        self._max_num_seqs = 1
        self._kv_capacity_tokens = 1

    def bind(self, step_time: StepTimeModel | None, limits: BatchLimits,
             kv_capacity_tokens: int) -> None:
        self._step_time = step_time
        self._max_num_seqs = limits.max_num_seqs
        self._kv_capacity_tokens = max(kv_capacity_tokens, 1)
        if step_time is not None:
            self._iteration_s = step_time.decode_run_s(1, 0, 1)

    def key(self, request: Request) -> Key:
        priority = request.predicted_priority
        work = self.remaining_work(request)
        if priority == 0:
            return (0, work, request.arrival_time_s, request.request_id)
        if self._inverse_weights is None:
            level = PROMOTED_CLASS if request.promoted else priority
            return (level, work, request.arrival_time_s, request.request_id)
        level = PROMOTED_CLASS if request.promoted else 1
        return (level, work * self._inverse_weights[priority], request.arrival_time_s,
                request.request_id)

    def remaining_work(self, request: Request) -> float:
        """Seconds the request still costs the server (remaining output tokens without a model).

        Never increases while it runs, as the scheduler's cached bound on running keys needs:
        its prefill and its remaining output only shrink.
        """
        remaining = request.predicted_output_tokens - request.num_output_tokens
        remaining = remaining if remaining > 0 else 0
        model = self._step_time
        if model is None:
            return float(remaining)
        computed = request.num_computed_tokens
        uncomputed = request.prompt_tokens + request.num_output_tokens - computed
        # A decode's one uncomputed token is its next output, not prefill.
        prefill_s = model.prefill_s(uncomputed, computed) if uncomputed > 1 else 0.0
        share = max(1.0 / self._max_num_seqs,
                    (request.prompt_tokens + request.predicted_output_tokens) / self._kv_capacity_tokens)
        return prefill_s + remaining * self._iteration_s * share

    def overdue_at(self, request: Request) -> float:
        return request.arrival_time_s + self._bounds_s[request.predicted_priority]

    def late_at(self, request: Request) -> float:
        return request.arrival_time_s + self._late_bounds_s[request.predicted_priority]

    def make_waiting_queue(self) -> WaitingQueue:
        return AgingWaitingQueue(self.key, self.overdue_at, "key", self.late_at)

    def _is_exempt(self, request: Request, now: float) -> bool:
        """Never held back by the guard or the cap: the urgent themselves, and the overdue."""
        return request.predicted_priority == 0 or request.promoted or now >= self.overdue_at(request)

    def decodes_this_step(self, decodes: list[Request], now: float) -> list[Request]:
        cap = self.urgent_batch_cap
        if cap is None or not any(r.predicted_priority == 0 for r in decodes):
            return decodes
        exempt, others = [], []
        for request in decodes:
            (exempt if self._is_exempt(request, now) else others).append(request)
        if len(others) <= cap:
            return decodes
        return exempt + heapq.nsmallest(cap, others, key=self.key)

    def prefill_guard(self, decodes: Sequence[Request], now: float) -> PrefillGuard | None:
        num_urgent = 0
        for request in decodes:
            if request.predicted_priority == 0:
                num_urgent += 1
        if not num_urgent:
            return None
        allowance = (self.guard_s if self._step_time is not None else self.guard_tokens) / num_urgent

        return PrefillGuard(allowance, self._step_time, lambda request: self._is_exempt(request, now))


POLICIES: dict[str, Callable[[], Policy]] = {
    cls.name: cls for cls in
    (FCFS, ShortestJobFirst, PriorityJobFirst, Semantic, SemanticAging, SemanticGuard, SLAI,
     VLLMPriority)
}


POLICY_OPTIONS: dict[str, tuple[str, ...]] = {
    "semantic-aging": ("max_wait_s",),
    "semantic-guard": ("max_wait_s", "guard_s", "class_weights", "urgent_batch_cap"),
}
"""Options a policy takes from the command line (flag ``--max-wait-s`` sets ``max_wait_s``)."""


def policy_names() -> list[str]:
    return list(POLICIES)


def make_policy(name: str, **options) -> Policy:
    """Build a fresh policy (policies may hold per-run state, so never share one)."""
    try:
        factory = POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}") from None
    return factory(**options)
