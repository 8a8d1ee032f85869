"""Waiting queues: O(log n) push and pop-min over keys that never change while queued.

A request's key is computed once, when it is pushed. That is correct because no
policy's key for a *waiting* request changes with time: remaining work changes only
while a request runs, and aging is handled by a second ordering (arrival) instead
of by rewriting keys. Entries of requests that left the queue are skipped lazily,
recognised by ``Request.queue_version``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from scheduling.request import Request, RequestStatus

Key = tuple[Any, ...]


class WaitingQueue:
    """Min-heap by policy key; ties end in (arrival time, request id) inside the key."""

    def __init__(self, key: Callable[[Request], Key]) -> None:
        self._key = key
        self._heap: list[tuple[Key, int, Request]] = []
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, request: Request) -> None:
        request.status = RequestStatus.WAITING
        heapq.heappush(self._heap, (self._key(request), request.queue_version, request))
        self._size += 1

    def peek(self, now: float) -> Request | None:
        """The request to admit next at time ``now`` (None when empty)."""
        return self._peek_by_key()

    def pop(self, now: float) -> Request:
        request = self.peek(now)
        if request is None:
            raise IndexError("pop from an empty waiting queue")
        self._remove(request)
        return request

    def remove(self, request: Request) -> None:
        """Take a queued request out (its heap entries die lazily); ValueError if not queued."""
        if request.status is not RequestStatus.WAITING:
            raise ValueError(f"request {request.request_id} is not waiting")
        self._remove(request)

    def _peek_by_key(self) -> Request | None:
        return _peek_live(self._heap)

    def _remove(self, request: Request) -> None:
        request.queue_version += 1  # every entry pushed before now is dead
        self._size -= 1


def _peek_live(heap: list) -> Request | None:
    """Drop dead entries from the top of ``heap`` and return the live minimum."""
    while heap:
        entry = heap[0]
        request = entry[-1]
        if entry[-2] == request.queue_version:
            return request
        heapq.heappop(heap)
    return None


class AgingWaitingQueue(WaitingQueue):
    """Policy order, except that a request waiting longer than ``max_wait_s`` goes first.

    Overdue requests are served oldest first, ahead of every class but 0: an
    emergency still goes first, and any other request waits at most ``max_wait_s``
    plus the time to drain the overdue requests and emergencies ahead of it.
    Being overdue changes admission order only; it never displaces a running request.
    A request admitted while overdue is marked ``promoted`` (the policy's key then
    ranks it just after class 0), so it is not displaced straight back into the queue.
    """

    def __init__(self, key: Callable[[Request], Key], max_wait_s: float) -> None:
        super().__init__(key)
        if not max_wait_s > 0:  # also refuses NaN
            raise ValueError(f"max_wait_s must be > 0, got {max_wait_s}")
        self.max_wait_s = max_wait_s
        self._by_arrival: list[tuple[float, int, int, Request]] = []

    def push(self, request: Request) -> None:
        super().push(request)
        heapq.heappush(self._by_arrival,
                       (request.arrival_time_s, request.request_id, request.queue_version, request))

    def peek(self, now: float) -> Request | None:
        best = self._peek_by_key()
        if best is None or best.predicted_priority == 0:
            return best
        oldest = _peek_live(self._by_arrival)
        if oldest is not None and not oldest.promoted and now - oldest.arrival_time_s >= self.max_wait_s:
            return oldest
        return best

    def pop(self, now: float) -> Request:
        request = super().pop(now)
        if now - request.arrival_time_s >= self.max_wait_s:
            request.promoted = True
        return request
