"""Routers alone, against stand-in replicas: who takes which call, and in what order."""

from __future__ import annotations

from scheduling.broker_key import broker_priority
from scheduling.request import Request
from scheduling.routers import URGENT_MAX_PRIORITY, is_urgent, make_router


class StandIn:
    """A replica that only counts what it holds (``num_held`` routine calls to begin with)."""

    def __init__(self, index: int, num_held: int = 0) -> None:
        self.index = index
        self.num_held = num_held
        self.num_held_urgent = 0
        self.taken: list[int] = []

    def take(self, request: Request, now: float) -> None:
        self.num_held += 1
        self.num_held_urgent += is_urgent(request)
        self.taken.append(request.request_id)


def call(request_id: int, priority: int, predicted_output: int = 100) -> Request:
    return Request(request_id, 0.0, prompt_tokens=10, output_tokens=predicted_output,
                   priority=priority)


def test_the_urgent_threshold_is_levels_0_and_1():
    assert URGENT_MAX_PRIORITY == 1


def test_the_replica_holding_fewest_takes_ties_to_the_lowest_index():
    replicas = [StandIn(0, 3), StandIn(1, 1), StandIn(2, 1)]
    router = make_router("fifo", replicas, reserve=4, urgent_reserve=0)
    for i in range(4):
        router.route(call(i, 2), 0.0)
    assert [r.taken for r in replicas] == [[], [0, 2], [1, 3]]
    router.route(call(4, 2), 0.0)
    assert replicas[0].taken == [4]  # now all hold 3: the lowest index


def test_fifo_queues_beyond_the_reserve_and_hands_out_in_arrival_order():
    replicas = [StandIn(0), StandIn(1)]
    router = make_router("fifo", replicas, reserve=2, urgent_reserve=0)
    for i, priority in enumerate([4, 4, 4, 4, 3, 0, 4]):
        router.route(call(i, priority), 0.0)
    assert router.num_queued == 3 and router.has_takeable_work() is False
    replicas[1].num_held -= 1  # a call finished on replica 1
    router.refill(1.0)
    replicas[0].num_held -= 2
    router.refill(2.0)
    assert replicas[1].taken == [1, 3, 4]
    assert replicas[0].taken == [0, 2, 5, 6]  # the P0 waited its turn behind a P3


def test_semantic_hands_out_urgent_first_then_by_broker_priority_ties_in_arrival_order():
    replicas = [StandIn(0, 2)]  # full: reserve 2
    router = make_router("semantic", replicas, reserve=2, urgent_reserve=0)
    arrivals = [call(0, 4, 10), call(1, 2, 300), call(2, 2, 5), call(3, 1, 400), call(4, 4, 10),
                call(5, 0, 400), call(6, 2, 5)]
    for request in arrivals:
        router.route(request, 0.0)
    assert router.num_queued == 7
    replicas[0].num_held = -5  # room for everything
    router.refill(1.0)
    # Urgent (0, 1) first, larger broker priority first; then the rest by broker priority,
    # equal broker priorities (2 and 6; 0 and 4) in arrival order.
    assert replicas[0].taken == [5, 3, 2, 6, 1, 0, 4]
    keys = [broker_priority(r.predicted_priority, r.predicted_output_tokens)
            for r in sorted(arrivals, key=lambda r: replicas[0].taken.index(r.request_id))][2:]
    assert keys == sorted(keys, reverse=True)


def test_semantic_orders_by_the_predicted_fields_not_the_true_ones():
    replicas = [StandIn(0, 1)]
    router = make_router("semantic", replicas, reserve=1, urgent_reserve=1)
    looks_routine = Request(0, 0.0, 10, 10, priority=0, predicted_priority=3)
    looks_urgent = Request(1, 0.0, 10, 10, priority=4, predicted_priority=1)
    router.route(looks_routine, 0.0)
    router.route(looks_urgent, 0.0)
    assert replicas[0].taken == [1]  # urgent by prediction: taken beyond the reserve
    assert router.num_queued == 1


def test_semantic_takes_urgent_calls_up_to_the_urgent_reserve_only():
    replicas = [StandIn(0, 4), StandIn(1, 4)]
    router = make_router("semantic", replicas, reserve=4, urgent_reserve=2)
    router.route(call(0, 3), 0.0)
    assert router.num_queued == 1  # routine: no room below the reserve
    for i in range(1, 6):
        router.route(call(i, 0), 0.0)
    assert [r.taken for r in replicas] == [[1, 3], [2, 4]]
    assert router.num_queued == 2 and not router.has_takeable_work()


def test_semantic_counts_routine_and_urgent_calls_apart_as_the_deployed_worker_does():
    """Per-queue prefetch: at most ``reserve`` of each kind, ``reserve + urgent_reserve`` in all."""
    replica = StandIn(0)
    router = make_router("semantic", [replica], reserve=3, urgent_reserve=2)
    for i in range(4):
        router.route(call(i, 0), 0.0)  # urgent: 3 taken (its queue's limit), 1 waits
    assert replica.taken == [0, 1, 2] and router.num_queued == 1
    for i in range(4, 7):
        router.route(call(i, 4), 0.0)  # routine: 2 more fit in all (3 + 2)
    assert replica.taken == [0, 1, 2, 4, 5] and router.num_queued == 2
    assert not router.has_takeable_work()


def test_least_loaded_has_no_broker_and_no_limit():
    replicas = [StandIn(0, 500), StandIn(1, 499)]
    router = make_router("least-loaded", replicas, reserve=0, urgent_reserve=0)
    for i in range(3):
        router.route(call(i, 4), 0.0)
    assert [r.taken for r in replicas] == [[1], [0, 2]]
    assert router.num_queued == 0
