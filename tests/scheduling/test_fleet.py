"""Fleet simulation: replicas behind a router behave as the deployment would, and a fleet of
one is the single engine, bit for bit."""

from __future__ import annotations

import random

import pytest

from scheduling import workloads
from scheduling.fleet import Fleet, FleetConfig, Replica, simulate_fleet, summarize_replicas
from scheduling.hardware import load_builtin_setting
from scheduling.plan import BatchLimits
from scheduling.policies import make_policy, policy_names
from scheduling.predictors import PredictorConfig, apply_predictions
from scheduling.request import Request
from scheduling.simulator import simulate

SETTING = load_builtin_setting("A100_4B")
SMALL = BatchLimits(max_num_seqs=4, max_num_batched_tokens=2048)


def semantic_policy():
    return make_policy("semantic")


def backlog_then_p0(p0_arrival_s: float = 1.0) -> list[Request]:
    """40 routine calls at once, then one life-threatening call once the backlog has formed."""
    routine = [Request(i, 0.0, prompt_tokens=100, output_tokens=200, priority=4) for i in range(40)]
    return routine + [Request(40, p0_arrival_s, prompt_tokens=50, output_tokens=20, priority=0)]


def p0_of(result) -> Request:
    return next(r for r in result.run.requests if r.priority == 0)


def poisson_requests(seed: int, num_requests: int, rate_per_s: float) -> list[Request]:
    requests = workloads.poisson(random.Random(seed), rate_per_s=rate_per_s,
                                 num_requests=num_requests)
    apply_predictions(requests, PredictorConfig(0.01, 0.2, 0.3), random.Random(seed))
    return requests


@pytest.mark.parametrize("config", [FleetConfig(1, "least-loaded"),
                                    FleetConfig(1, "fifo", reserve=10**6),
                                    FleetConfig(1, "semantic", reserve=10**6)],
                         ids=lambda c: c.router)
def test_a_fleet_of_one_without_limits_is_the_single_engine_bit_for_bit(monkeypatch, config):
    requests = poisson_requests(seed=3, num_requests=150, rate_per_s=8)
    limits = BatchLimits(max_num_seqs=8, max_num_batched_tokens=2048)
    cuts = []
    cut_run = Replica._cut_run

    def counting_cut(self, now):
        before = self.step
        cut_run(self, now)
        cuts.append(self.step is not before)

    monkeypatch.setattr(Replica, "_cut_run", counting_cut)
    for name in policy_names():
        single = simulate(requests, SETTING, make_policy(name), limits, 0.01)
        fleet = simulate_fleet(requests, SETTING, lambda: make_policy(name), limits, config, 0.01)
        timings = [[(r.request_id, r.first_scheduled_time_s, r.first_token_time_s, r.finish_time_s,
                     r.num_preemptions) for r in result.requests]
                   for result in (single, fleet.run)]
        assert timings[0] == timings[1], name  # exact floats, not approximately
        assert fleet.run.num_iterations == single.num_iterations
        assert list(fleet.run.timeline.time_s) == list(single.timeline.time_s)
    # The test means something only if steady runs were cut by arrivals mid-run.
    assert sum(cuts) > 10


def test_fifo_leaves_a_late_p0_behind_the_backlog_while_semantic_starts_it_at_once():
    delays = {}
    for router in ("fifo", "semantic", "least-loaded"):
        result = simulate_fleet(backlog_then_p0(), SETTING, semantic_policy, SMALL,
                                FleetConfig(2, router))
        delays[router] = p0_of(result).queueing_delay_s
    # fifo: 12 of 40 calls taken (2 replicas x reserve 6); the P0 waits behind 28 in the broker.
    assert delays["fifo"] > 5.0
    # semantic: urgent, taken beyond the reserve and displacing a routine runner at the next
    # iteration boundary; least-loaded: already in a replica, whose policy puts it first.
    assert delays["semantic"] < 0.05
    assert delays["least-loaded"] < 0.05


def test_semantic_takes_an_urgent_call_beyond_the_reserve_but_no_further():
    calls = backlog_then_p0() + [Request(41 + i, 1.0, 50, 20, priority=1) for i in range(6)]
    fleet = Fleet([r.fresh_copy() for r in calls], SETTING, semantic_policy, SMALL,
                  FleetConfig(2, "semantic", urgent_reserve=2))
    most_held = 0
    while fleet.process_next_instant():
        most_held = max([most_held] + [r.num_held for r in fleet.replicas])
    assert most_held == 6 + 2  # reserve (4 seats + 2) plus the urgent reserve, never more
    urgent = [r for r in fleet.requests if r.priority <= 1]
    taken_at_once = [r for r in urgent if r.queueing_delay_s < 0.05]
    assert len(taken_at_once) == 4  # two urgent seats per replica; the others queue, urgent first
    first_routine_after = min(r.first_scheduled_time_s for r in fleet.requests
                              if r.priority == 4 and r.first_scheduled_time_s > 1.0)
    assert max(r.first_scheduled_time_s for r in urgent) < first_routine_after


@pytest.mark.parametrize("router", ["fifo", "semantic"])
def test_no_replica_idles_while_the_broker_holds_work_it_may_take(router):
    requests = workloads.seed_burst(random.Random(5), user_request_gap_s=0.01,
                                    max_concurrent_user_requests=30, num_epochs=20)
    fleet = Fleet(requests, SETTING, semantic_policy, SMALL, FleetConfig(3, router))
    num_instants = num_queued_instants = 0
    while fleet.process_next_instant():
        num_instants += 1
        num_queued_instants += fleet.router.num_queued > 0
        assert not fleet.router.has_takeable_work()
        for replica in fleet.replicas:
            scheduler = replica.scheduler
            assert replica.num_held == len(scheduler.waiting) + scheduler.num_running
            assert replica.num_held <= fleet.config.reserve_for(SMALL) + (fleet.config.urgent_reserve_for(SMALL) or 0)
            assert replica.num_held - replica.num_held_urgent <= fleet.config.reserve_for(SMALL)
            assert replica.num_held == 0 or replica.step is not None  # holding work: stepping
    assert num_queued_instants > num_instants / 4  # the broker held work most of the run
    assert all(r.finish_time_s is not None for r in fleet.requests)


def test_least_loaded_pushes_every_call_to_the_replica_holding_fewest(monkeypatch):
    requests = poisson_requests(seed=7, num_requests=600, rate_per_s=60)
    fleet = Fleet([r.fresh_copy() for r in requests], SETTING, lambda: make_policy("fcfs"),
                  BatchLimits(max_num_seqs=8, max_num_batched_tokens=2048),
                  FleetConfig(4, "least-loaded"))
    take = Replica.take
    choices = []

    def checked_take(self, request, now):
        held = [r.num_held for r in fleet.replicas]
        choices.append((self.index, held))
        take(self, request, now)

    monkeypatch.setattr(Replica, "take", checked_take)
    result = fleet.run()
    for index, held in choices:
        assert index == held.index(min(held))  # fewest held, lowest index among equals
    assert max(max(held) for _, held in choices) > 8  # beyond the seats: no reserve limit
    counts = [len(taken) for taken in result.replica_requests]
    assert sum(counts) == 600
    assert max(counts) - min(counts) <= 0.1 * 600 / 4, counts


def test_per_replica_figures_add_up_to_the_fleet():
    requests = poisson_requests(seed=2, num_requests=300, rate_per_s=40)
    result = simulate_fleet(requests, SETTING, semantic_policy, SMALL, FleetConfig(3, "fifo"))
    replicas = summarize_replicas(result)
    assert len(replicas) == 3
    assert sum(r["requests"] for r in replicas) == 300
    assert all(r["requests"] > 0 for r in replicas)
    taken_ids = sorted(r.request_id for taken in result.replica_requests for r in taken)
    assert taken_ids == list(range(300))  # each call taken exactly once
    assert sum(r["preemptions"] for r in replicas) == result.run.num_preemptions
    weighted = sum(r["mean_latency_s"] * r["requests"] for r in replicas) / 300
    assert weighted == pytest.approx(sum(r.latency_s for r in result.run.requests) / 300)


def test_the_same_seed_gives_the_same_fleet_run():
    requests = poisson_requests(seed=4, num_requests=200, rate_per_s=50)
    runs = [simulate_fleet(requests, SETTING, semantic_policy, SMALL, FleetConfig(3, "semantic"))
            for _ in range(2)]
    finish = [[r.finish_time_s for r in run.run.requests] for run in runs]
    assert finish[0] == finish[1]
    assert [[r.request_id for r in t] for t in runs[0].replica_requests] == \
           [[r.request_id for r in t] for t in runs[1].replica_requests]
    assert None not in finish[0]


@pytest.mark.parametrize("options,named", [
    ({"num_replicas": 0}, "num_replicas"),
    ({"router": "lottery"}, "lottery"),
    ({"reserve": 0}, "reserve"),
    ({"reserve": -2}, "reserve"),
    ({"router": "least-loaded", "reserve": 4}, "reserve"),
    ({"router": "fifo", "urgent_reserve": 1}, "urgent_reserve"),
    ({"router": "semantic", "urgent_reserve": -1}, "urgent_reserve"),
])
def test_a_bad_fleet_config_is_refused_by_name(options, named):
    with pytest.raises(ValueError, match=named):
        FleetConfig(**options)


def test_default_reserves_are_the_deployed_workers():
    limits = BatchLimits(max_num_seqs=16, max_num_batched_tokens=2048)
    assert FleetConfig(4, "fifo").describe(limits) == {
        "replicas": 4, "router": "fifo", "reserve": 18, "urgent_reserve": None}
    assert FleetConfig(4, "semantic").describe(limits) == {
        "replicas": 4, "router": "semantic", "reserve": 18, "urgent_reserve": 2}
    assert FleetConfig(4, "least-loaded").describe(limits) == {
        "replicas": 4, "router": "least-loaded", "reserve": None, "urgent_reserve": None}
