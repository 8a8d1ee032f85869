"""Routers: how calls reach the replicas of a fleet, modelled on the deployed broker.

A central broker holds calls no replica has taken yet. A replica *holds* a call from the
moment it takes it until the call finishes (waiting or running inside its scheduler).

- ``fifo``: today's deployment, one first-in first-out broker queue; a replica takes calls
  while it holds fewer than ``reserve`` (the worker's seats plus its margin).
- ``semantic``: the deployed fleet. The broker orders calls by :func:`broker_priority` (larger
  first, ties in arrival order), urgent calls in a queue of their own that replicas take from
  first. As the deployed worker's per-consumer prefetch does, a replica holds at most
  ``reserve`` routine calls and at most ``reserve`` urgent ones, and ``reserve +
  urgent_reserve`` in all (the worker's thread pool; by default 2 more), so an urgent
  call reaching a full fleet is taken at once and the replica's policy displaces a routine runner.
- ``least-loaded``: no broker; each call is pushed to the replica holding fewest at once.

Whenever several replicas may take a call, the one holding fewest takes it (ties: lowest
index). Routers are strategy objects chosen by name from one registry, like policies.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Protocol

from scheduling.broker_key import broker_priority
from scheduling.request import Request

URGENT_MAX_PRIORITY = 1
"""Calls predicted at this level or more urgent (0, 1) go to the semantic broker's urgent queue."""
DEFAULT_RESERVE_MARGIN = 2
"""The deployed worker takes this many calls beyond its seats (Celery prefetch margin)."""
DEFAULT_URGENT_RESERVE = 2
"""Calls a replica may hold beyond its reserve, kept for urgent ones (the deployed worker's
``TRIAGE_FLEET_URGENT_RESERVE``). More helps a burst of urgent calls a little and hurts under
overload, when replicas fill with urgent work they cannot start (docs/BENCHMARKS.md)."""

_held = attrgetter("num_held")


class Taker(Protocol):
    """What a router sees of a replica."""

    num_held: int
    """Calls taken and not yet finished."""
    num_held_urgent: int
    """Of those, the ones :func:`is_urgent` (the deployed worker counts each queue apart)."""

    def take(self, request: Request, now: float) -> None:
        """Hold ``request`` from ``now`` on (called by the router)."""


class BrokerQueue(Protocol):
    def push(self, request: Request) -> None: ...
    def pop(self) -> Request: ...
    def __len__(self) -> int: ...


class FifoQueue:
    """First in, first out: the order calls reached the broker."""

    def __init__(self) -> None:
        self._calls: deque[Request] = deque()

    def push(self, request: Request) -> None:
        self._calls.append(request)

    def pop(self) -> Request:
        return self._calls.popleft()

    def __len__(self) -> int:
        return len(self._calls)


class BrokerPriorityQueue:
    """Larger :func:`broker_priority` first (predicted urgency, then predicted length), ties in
    arrival order: what a RabbitMQ priority queue delivers."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Request]] = []
        self._sequence = itertools.count()

    def push(self, request: Request) -> None:
        key = -broker_priority(request.predicted_priority, request.predicted_output_tokens)
        heapq.heappush(self._heap, (key, next(self._sequence), request))

    def pop(self) -> Request:
        return heapq.heappop(self._heap)[2]

    def __len__(self) -> int:
        return len(self._heap)


class Router(Protocol):
    name: str

    def route(self, request: Request, now: float) -> None:
        """A call reaches the router (its arrival plus the predictors' latency)."""

    def refill(self, now: float) -> None:
        """Replicas finished calls at ``now``: let those with room take from the broker."""

    @property
    def num_queued(self) -> int:
        """Calls in the broker, taken by no replica yet."""

    def has_takeable_work(self) -> bool:
        """True if some replica may take a call the broker holds (never true between events)."""


MayTake = Callable[[Taker], bool]


class BrokerRouter:
    """Queues in the order replicas take from them, each with the rule saying whether a replica
    may take one more call from it; ``classify`` picks a call's queue."""

    def __init__(self, name: str, replicas: Sequence[Taker],
                 queues: Sequence[tuple[BrokerQueue, MayTake]],
                 classify: Callable[[Request], int]) -> None:
        self.name = name
        self.replicas = replicas
        self.queues = list(queues)
        self._classify = classify

    def _taker(self, may_take: MayTake) -> Taker | None:
        """The replica holding fewest among those that may take (ties: lowest index)."""
        candidates = [replica for replica in self.replicas if may_take(replica)]
        return min(candidates, key=_held) if candidates else None

    def route(self, request: Request, now: float) -> None:
        queue, may_take = self.queues[self._classify(request)]
        if not len(queue):
            replica = self._taker(may_take)
            if replica is not None:
                replica.take(request, now)
                return
        queue.push(request)

    def refill(self, now: float) -> None:
        for queue, may_take in self.queues:
            while len(queue):
                replica = self._taker(may_take)
                if replica is None:
                    break
                replica.take(queue.pop(), now)

    @property
    def num_queued(self) -> int:
        return sum(len(queue) for queue, _ in self.queues)

    def has_takeable_work(self) -> bool:
        return any(len(queue) and any(may_take(r) for r in self.replicas) for queue, may_take in self.queues)


class LeastLoadedRouter:
    """No broker: each call goes at once to the replica holding fewest (no limit)."""

    name = "least-loaded"
    num_queued = 0

    def __init__(self, replicas: Sequence[Taker]) -> None:
        self.replicas = replicas

    def route(self, request: Request, now: float) -> None:
        min(self.replicas, key=_held).take(request, now)

    def refill(self, now: float) -> None:
        pass

    def has_takeable_work(self) -> bool:
        return False


def is_urgent(request: Request) -> bool:
    """Goes to the semantic broker's urgent queue (the deployed ``gpu.urgent``)."""
    return request.predicted_priority <= URGENT_MAX_PRIORITY


def make_fifo(replicas: Sequence[Taker], reserve: int, urgent_reserve: int) -> Router:
    return BrokerRouter("fifo", replicas, [(FifoQueue(), lambda r: r.num_held < reserve)], lambda request: 0)


def make_semantic(replicas: Sequence[Taker], reserve: int, urgent_reserve: int) -> Router:
    total = reserve + urgent_reserve

    def may_take_urgent(replica: Taker) -> bool:
        return replica.num_held < total and replica.num_held_urgent < reserve

    def may_take_routine(replica: Taker) -> bool:
        return replica.num_held < total and replica.num_held - replica.num_held_urgent < reserve

    return BrokerRouter("semantic", replicas,
                        [(BrokerPriorityQueue(), may_take_urgent), (BrokerPriorityQueue(), may_take_routine)],
                        lambda request: 0 if is_urgent(request) else 1)


def make_least_loaded(replicas: Sequence[Taker], reserve: int, urgent_reserve: int) -> Router:
    return LeastLoadedRouter(replicas)


ROUTERS: dict[str, Callable[[Sequence[Taker], int, int], Router]] = {
    "fifo": make_fifo,
    "semantic": make_semantic,
    "least-loaded": make_least_loaded,
}
ROUTERS_WITH_RESERVE = ("fifo", "semantic")
ROUTERS_WITH_URGENT_RESERVE = ("semantic",)


def router_names() -> list[str]:
    return list(ROUTERS)


def make_router(name: str, replicas: Sequence[Taker], reserve: int, urgent_reserve: int) -> Router:
    try:
        factory = ROUTERS[name]
    except KeyError:
        raise ValueError(f"unknown router {name!r}; choose from {', '.join(ROUTERS)}") from None
    return factory(replicas, reserve, urgent_reserve)
