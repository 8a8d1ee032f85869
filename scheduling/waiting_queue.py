"""Waiting queues: O(log n) push and pop-min over keys that never change while queued.

A request's key is computed once, when it is pushed. That is correct because no
policy's key for a *waiting* request changes with time: remaining work changes only
while a request runs, and aging is handled by a second ordering (deadline) instead
of by rewriting keys. Entries of requests that left the queue are skipped lazily,
recognised by ``Request.queue_version``.
"""

from __future__ import annotations

import heapq
import math
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
    """Policy order, except that an overdue request goes first.

    ``overdue_at(request)`` says from when a request is overdue (``math.inf``: never); the
    policy decides it, e.g. arrival plus a bound that grows with the urgency class. Overdue
    requests go ahead of every class but 0 (an emergency still goes first), in one of two
    orders among themselves:

    - ``"deadline"``: earliest deadline first. Any request then waits at most its bound plus
      the time to drain the overdue requests and emergencies ahead of it; and when everything
      is overdue at once (a burst longer than the bound) the classes stay in order, as long as
      a more urgent class has the shorter bound.
    - ``"key"``: the policy's own order. Being overdue lifts a request above fresh arrivals but
      keeps the policy's efficiency among the overdue, so a burst longer than the bound (where
      nobody's wait can be bounded anyway) is served as without aging. Under overload the
      overdue could starve each other in that order, so a request past ``late_at(request)``
      goes first of all, earliest such time first: nobody waits past it longer than the time
      to drain the late requests ahead of it.

    Being overdue changes admission order only; it never displaces a running request.
    A request admitted while overdue is marked ``promoted`` (the policy's key then
    ranks it just after class 0), so it is not displaced straight back into the queue.
    """

    def __init__(self, key: Callable[[Request], Key], overdue_at: Callable[[Request], float],
                 overdue_order: str = "deadline",
                 late_at: Callable[[Request], float] | None = None) -> None:
        super().__init__(key)
        if overdue_order not in ("deadline", "key"):
            raise ValueError(f"overdue_order must be 'deadline' or 'key', got {overdue_order!r}")
        if (overdue_order == "key") != (late_at is not None):
            raise ValueError("late_at is needed with overdue_order 'key', and only then")
        self.overdue_at = overdue_at
        self.overdue_order = overdue_order
        self.late_at = late_at
        self._by_deadline: list[tuple[float, int, int, Request]] = []
        self._overdue_by_key: list[tuple[Key, int, Request]] = []
        """``"key"`` order: requests found overdue, moved here from ``_by_deadline``."""
        self._by_late_deadline: list[tuple[float, int, int, Request]] = []
        """``"key"`` order: every request by the time it becomes late, earliest first."""

    def push(self, request: Request) -> None:
        super().push(request)
        deadline = self.overdue_at(request)
        if deadline < math.inf:
            entry = (deadline, request.request_id, request.queue_version, request)
            heapq.heappush(self._by_deadline, entry)
            if self.late_at is not None:
                heapq.heappush(self._by_late_deadline, (self.late_at(request),) + entry[1:])

    def peek(self, now: float) -> Request | None:
        best = self._peek_by_key()
        if best is None or best.predicted_priority == 0:
            return best
        if self.overdue_order == "deadline":
            first = _peek_live(self._by_deadline)
            if first is not None and not first.promoted and now >= self.overdue_at(first):
                return first
            return best
        late = _peek_live(self._by_late_deadline)
        if late is not None and not late.promoted and now >= self.late_at(late):
            return late
        by_deadline = self._by_deadline
        while by_deadline and by_deadline[0][0] <= now:
            _, _, version, request = heapq.heappop(by_deadline)
            if version == request.queue_version and not request.promoted:
                heapq.heappush(self._overdue_by_key, (self._key(request), version, request))
        first = _peek_live(self._overdue_by_key)
        return first if first is not None else best

    def pop(self, now: float) -> Request:
        request = super().pop(now)
        if now >= self.overdue_at(request):
            request.promoted = True
        return request

    def next_change_s(self, now: float) -> float:
        """The earliest time after ``now`` at which the passing of time alone could change what
        ``peek`` returns (a request becoming overdue or late); ``math.inf`` if nothing will.

        Mirrors ``peek``, which looks only at the top of each deadline heap, so it is O(1)
        amortised: a request already overdue (or late) at the top stays the head until it
        leaves, since every other deadline in that heap is later. Called after ``peek(now)``
        in the same step (the scheduler admits first), so no live deadline at or before ``now``
        is still waiting to be moved.
        """
        if self.overdue_order == "deadline":
            first = _peek_live(self._by_deadline)
            if first is None or first.promoted:
                return math.inf
            deadline = self.overdue_at(first)
            return deadline if deadline > now else math.inf
        late = _peek_live(self._by_late_deadline)
        soonest = math.inf
        if late is not None and not late.promoted:
            late_at = self.late_at(late)
            if late_at <= now:
                return math.inf  # the earliest late request is the head until it leaves
            soonest = late_at
        overdue = _peek_live(self._by_deadline)
        if overdue is not None:
            soonest = min(soonest, max(self.overdue_at(overdue), now))  # now: not moved yet, no run
        return soonest
