"""Benchmark: waiting-queue insert/pop at 100,000 waiting, and one scheduling decision
with 256 running and 10,000 waiting, against the reference simulator's approach
(drain the whole heap and push it back every decision) measured in the same run.

    python bench/queue_bench.py
"""

from __future__ import annotations

import heapq
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, median_seconds  # noqa: E402
from scheduling.executor import StepOutcome
from scheduling.kv_cache import KVCache  # noqa: E402
from scheduling.plan import BatchLimits  # noqa: E402
from scheduling.policies import make_policy  # noqa: E402
from scheduling.request import Request, RequestStatus  # noqa: E402
from scheduling.scheduler import Scheduler  # noqa: E402

DECODE_ITERATION_S = 0.012
REPEATS = 7


def make_requests(count: int, rng: random.Random, start_id: int = 0) -> list[Request]:
    return [Request(start_id + i, rng.uniform(0, 1000), rng.randint(1, 499), rng.randint(1, 498),
                    rng.randint(0, 4)) for i in range(count)]


def queue_costs(num_waiting: int = 100_000, num_ops: int = 10_000) -> tuple[float, float]:
    """Median seconds per push and per pop with ``num_waiting`` requests queued."""
    rng = random.Random(1)
    policy = make_policy("semantic")
    base = make_requests(num_waiting, rng)
    extra = make_requests(num_ops, rng, start_id=num_waiting)

    queue = policy.make_waiting_queue()
    for request in base:
        queue.push(request)

    def push_all():
        for request in extra:
            queue.push(request)

    def pop_all():
        for _ in range(num_ops):
            queue.pop(0.0)

    push_all()  # warm-up
    pop_all()
    pushes, pops = [], []
    for _ in range(REPEATS):  # alternate so the queue stays at num_waiting
        pushes.append(median_seconds(push_all, 1))
        pops.append(median_seconds(pop_all, 1))
    return statistics.median(pushes) / num_ops, statistics.median(pops) / num_ops


def decision_scheduler(num_running: int, num_waiting: int) -> Scheduler:
    """A semantic scheduler with a full batch of decodes and a long queue behind it."""
    rng = random.Random(2)
    kv = KVCache(num_blocks=1_000_000, block_size=32)
    scheduler = Scheduler(make_policy("semantic"), kv, BatchLimits(num_running, 2048))
    for request in make_requests(num_running, rng):
        request.output_tokens = 100_000  # nobody finishes during the measurement
        request.predicted_priority = 0  # the most urgent: nothing waiting may displace them
        scheduler.add_request(request)
    while len(scheduler.waiting) or scheduler.prefilling:  # prefill the batch
        scheduler.update(scheduler.schedule(0.0), StepOutcome(0.0), 0.0)
    for request in make_requests(num_waiting, rng, start_id=num_running):
        request.predicted_priority = max(1, request.predicted_priority)
        scheduler.add_request(request)
    return scheduler


def decision_cost(num_running: int = 256, num_waiting: int = 10_000, steps: int = 200) -> float:
    scheduler = decision_scheduler(num_running, num_waiting)
    assert len(scheduler.decoding) == num_running and len(scheduler.waiting) == num_waiting

    def one_decision():
        plan = scheduler.schedule(1.0)
        scheduler.update(plan, StepOutcome(DECODE_ITERATION_S), 1.0)

    return median_seconds(lambda: [one_decision() for _ in range(steps)], REPEATS) / steps


def reference_style_decision_cost(num_running: int = 256, num_waiting: int = 10_000,
                                  steps: int = 20) -> float:
    """The reference simulator's per-decision work: drain the heap, re-sort, push back."""
    rng = random.Random(3)
    requests = make_requests(num_running + num_waiting, rng)
    heap = [((r.priority, r.output_tokens, r.arrival_time_s), r.request_id, r) for r in requests]
    heapq.heapify(heap)

    def one_decision():
        drained = [heapq.heappop(heap) for _ in range(len(heap))]
        batch = drained[:num_running]
        for entry in drained:
            heapq.heappush(heap, entry)
        return batch

    return median_seconds(lambda: [one_decision() for _ in range(steps)], REPEATS) / steps


def main() -> None:
    push_s, pop_s = queue_costs()
    decision_s = decision_cost()
    reference_s = reference_style_decision_cost()
    print(f"machine: {machine()}")
    print("command: python bench/queue_bench.py  (median of 7 runs, CPU time)")
    print(f"{'measure':58s} {'value':>12s}")
    print(f"{'push, 100,000 waiting (semantic key)':58s} {push_s * 1e6:10.2f} us")
    print(f"{'pop-min, 100,000 waiting':58s} {pop_s * 1e6:10.2f} us")
    print(f"{'decision, 256 running + 10,000 waiting (ours)':58s} {decision_s * 1e6:10.1f} us")
    print(f"{'  share of a 12 ms decode iteration':58s} {decision_s / DECODE_ITERATION_S:11.3%}")
    print(f"{'decision, reference style (drain + re-push the heap)':58s} {reference_s * 1e6:10.1f} us")
    print(f"{'  speed-up of ours over reference style':58s} {reference_s / decision_s:10.1f} x")


if __name__ == "__main__":
    main()
