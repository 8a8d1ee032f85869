"""Routers: how calls reach the replicas of a fleet, modelled on the deployed broker.

A central broker holds calls no replica has taken yet. A replica *holds* a call from the
moment it takes it until the call finishes (waiting or running inside its scheduler).

- ``fifo``: today's deployment, one first-in first-out broker queue; a replica takes calls
  while it holds fewer than ``reserve`` (the worker's seats plus its margin).
- ``semantic``: the broker orders calls by :func:`broker_priority` (larger first, ties in
  arrival order), urgent calls in a queue of their own that replicas always take from first,
  and up to ``urgent_reserve`` calls beyond ``reserve``, so an urgent call reaching a full
  fleet is taken at once and the replica's policy displaces a less urgent runner.
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
"""Extra urgent calls a replica takes beyond its reserve under the ``semantic`` router."""

_held = attrgetter("num_held")


class Taker(Protocol):
    """What a router sees of a replica."""

    num_held: int
    """Calls taken and not yet finished."""

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


class BrokerRouter:
    """Queues in the order replicas take from them, each with the most calls a replica may
    hold and still take from it; ``classify`` picks a call's queue."""

    def __init__(self, name: str, replicas: Sequence[Taker],
                 queues: Sequence[tuple[BrokerQueue, int]],
                 classify: Callable[[Request], int]) -> None:
        self.name = name
        self.replicas = replicas
        self.queues = list(queues)
        self._classify = classify

    def route(self, request: Request, now: float) -> None:
        queue, max_held = self.queues[self._classify(request)]
        if not len(queue):
            replica = min(self.replicas, key=_held)
            if replica.num_held < max_held:
                replica.take(request, now)
                return
        queue.push(request)

    def refill(self, now: float) -> None:
        for queue, max_held in self.queues:
            while len(queue):
                replica = min(self.replicas, key=_held)
                if replica.num_held >= max_held:
                    break
                replica.take(queue.pop(), now)

    @property
    def num_queued(self) -> int:
        return sum(len(queue) for queue, _ in self.queues)

    def has_takeable_work(self) -> bool:
        fewest = min(r.num_held for r in self.replicas)
        return any(len(queue) and fewest < max_held for queue, max_held in self.queues)


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


def _is_urgent(request: Request) -> int:
    """Queue index under ``semantic``: 0 for urgent calls, 1 for routine ones."""
    return 0 if request.predicted_priority <= URGENT_MAX_PRIORITY else 1


def make_fifo(replicas: Sequence[Taker], reserve: int, urgent_reserve: int) -> Router:
    return BrokerRouter("fifo", replicas, [(FifoQueue(), reserve)], lambda request: 0)


def make_semantic(replicas: Sequence[Taker], reserve: int, urgent_reserve: int) -> Router:
    return BrokerRouter("semantic", replicas,
                        [(BrokerPriorityQueue(), reserve + urgent_reserve),
                         (BrokerPriorityQueue(), reserve)], _is_urgent)


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
