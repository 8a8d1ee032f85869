"""Scheduling policies: small strategy objects chosen by name from one registry.

A policy gives a total-order key (smaller runs earlier; ties end in arrival time,
then request id) and a few switches the scheduler reads. The scheduler does the
rest, identically for every policy, so comparisons are fair by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scheduling.request import NUM_PRIORITIES, Request
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

    def make_waiting_queue(self) -> WaitingQueue:
        return WaitingQueue(self.key)

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


@dataclass
class SemanticAging(Semantic):
    """Semantic, with a bound on starvation: see ``AgingWaitingQueue``."""

    max_wait_s: float = DEFAULT_MAX_WAIT_S
    name = "semantic-aging"

    def key(self, request: Request) -> Key:
        urgency = PROMOTED_CLASS if request.promoted and request.predicted_priority > 0 \
            else request.predicted_priority
        remaining = request.predicted_output_tokens - request.num_output_tokens
        return (urgency, remaining if remaining > 0 else 0, request.arrival_time_s, request.request_id)

    def make_waiting_queue(self) -> WaitingQueue:
        return AgingWaitingQueue(self.key, self.max_wait_s)


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


POLICIES: dict[str, Callable[[], Policy]] = {
    cls.name: cls for cls in
    (FCFS, ShortestJobFirst, PriorityJobFirst, Semantic, SemanticAging, SLAI, VLLMPriority)
}


def policy_names() -> list[str]:
    return list(POLICIES)


def make_policy(name: str, **options) -> Policy:
    """Build a fresh policy (policies may hold per-run state, so never share one)."""
    try:
        factory = POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}") from None
    return factory(**options)
