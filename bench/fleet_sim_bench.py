"""Benchmark: fleet simulation speed, and the routers compared, 16 H100_8B replicas.

Speed: simulated requests per CPU-second for 1,000,000 Poisson requests at 90% of fleet
capacity, each router, the ``semantic`` policy in every replica; each in a fresh process (so
max RSS is that run's). Baseline measured in the same run: the single engine at the same
per-replica load (1/16 of the requests at 1/16 of the rate).

Routers: the ``semantic`` scheduling policy inside every replica; P0 (true level 0) mean
latency under ``fifo``, ``semantic`` and ``least-loaded``, median over seeds, and the median
of the per-seed ratio against ``fifo``. Workloads: the reference burst scaled to the fleet
(seed-burst, user_request_gap 0.01 s, 20 epochs, max_concurrent_user_requests 50 per replica,
i.e. 800 for 16) and Poisson at 90% of fleet capacity; beyond the brief, Poisson at 110%
(the broker fills) and a ``semantic`` row with a wide urgent reserve.

Fleet capacity is 16 times one replica's: FCFS throughput with every request already waiting
(as in sim_bench.py), H100_8B with vLLM's 256 sequences / 2,048 tokens.

    python bench/fleet_sim_bench.py [--requests 1000000] [--seeds 5] [--poisson-requests 50000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402
from scheduling import workloads  # noqa: E402
from scheduling.fleet import FleetConfig, simulate_fleet  # noqa: E402
from scheduling.hardware import load_builtin_setting  # noqa: E402
from scheduling.plan import BatchLimits  # noqa: E402
from scheduling.policies import make_policy  # noqa: E402
from scheduling.simulator import Simulation, simulate  # noqa: E402

SETTING = "H100_8B"
NUM_REPLICAS = 16
LOAD = 0.9
OVERLOAD = 1.1
"""An extra Poisson comparison beyond the brief: arrivals above capacity, so the broker fills."""
POLICY = "semantic"
ROUTERS = ("fifo", "semantic", "least-loaded")
WIDE_URGENT_RESERVE = 256
"""An extra row beyond the brief: ``semantic`` whose replicas keep room for a whole batch of
urgent calls beyond the reserve (the default, as the deployed worker's, is 2)."""
BURST_PER_REPLICA = 50
"""max_concurrent_user_requests of the reference burst for one engine; the fleet gets 16x."""


def replica_capacity_req_s() -> float:
    setting = load_builtin_setting(SETTING)
    burst = workloads.poisson(random.Random(0), rate_per_s=100_000, num_requests=5_000)
    result = Simulation([r.fresh_copy() for r in burst], setting, make_policy("fcfs"),
                        BatchLimits()).run()
    return len(burst) / max(r.finish_time_s for r in result.requests)


def new_policy():
    return make_policy(POLICY)


def one_speed_run(router: str, num_requests: int, rate: float) -> dict:
    """``router`` "single": the single engine; else a 16-replica fleet behind it."""
    setting = load_builtin_setting(SETTING)
    requests = workloads.poisson(random.Random(1), rate_per_s=rate, num_requests=num_requests)
    started, started_cpu = time.perf_counter(), time.process_time()
    if router == "single":
        result = simulate(requests, setting, new_policy(), BatchLimits())
    else:
        result = simulate_fleet(requests, setting, new_policy, BatchLimits(),
                                FleetConfig(NUM_REPLICAS, router)).run
    wall_s, cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
    return {"req_per_cpu_s": num_requests / cpu_s, "cpu_s": cpu_s, "wall_s": wall_s,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "steps": len(result.timeline), "iterations": result.num_iterations,
            "mean_latency_s": statistics.fmean(r.latency_s for r in result.requests)}


def measure_speed(router: str, num_requests: int, rate: float) -> dict:
    command = [sys.executable, __file__, "--one", router, "--requests", str(num_requests),
               "--rate", repr(rate)]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def p0_mean_latency(requests) -> float:
    return statistics.fmean(r.latency_s for r in requests if r.priority == 0)


def router_configs() -> dict[str, FleetConfig]:
    configs = {router: FleetConfig(NUM_REPLICAS, router) for router in ROUTERS}
    configs[f"semantic, urgent reserve {WIDE_URGENT_RESERVE}"] = FleetConfig(
        NUM_REPLICAS, "semantic", urgent_reserve=WIDE_URGENT_RESERVE)
    return configs


def compare_routers(make_requests, seeds: list[int]) -> dict[str, dict]:
    """Per router: P0 mean latency and all-request mean latency per seed, and P0 ratio to fifo."""
    setting = load_builtin_setting(SETTING)
    configs = router_configs()
    rows: dict[str, dict] = {label: {"p0": [], "all": [], "ratio": [], "queued": []}
                             for label in configs}
    for seed in seeds:
        requests = make_requests(random.Random(f"workload:{seed}"))
        for label, config in configs.items():
            result = simulate_fleet(requests, setting, new_policy, BatchLimits(), config).run
            rows[label]["p0"].append(p0_mean_latency(result.requests))
            rows[label]["all"].append(statistics.fmean(r.latency_s for r in result.requests))
            rows[label]["queued"].append(max(result.timeline.num_waiting))
        for row in rows.values():
            row["ratio"].append(row["p0"][-1] / rows["fifo"]["p0"][-1])
    return rows


def print_comparison(title: str, rows: dict[str, dict], num_seeds: int) -> None:
    print(title)
    print(f"{'router':30s} {'P0 mean lat s':>14s} {'vs fifo':>8s} {'all mean lat s':>15s} "
          f"{'P0 per seed':>40s}")
    for router, row in rows.items():
        per_seed = " ".join(f"{v:.2f}" for v in row["p0"])
        print(f"{router:30s} {statistics.median(row['p0']):14.3f} "
              f"{statistics.median(row['ratio']):7.2f}x {statistics.median(row['all']):15.3f} "
              f"{per_seed:>40s}")
    print(f"(medians of {num_seeds} seeds; 'vs fifo' is the median of per-seed ratios; "
          f"most calls waiting at once, fleet-wide: "
          f"{max(max(row['queued']) for row in rows.values())})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--poisson-requests", type=int, default=50_000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-routers", action="store_true")
    parser.add_argument("--one")
    parser.add_argument("--rate", type=float)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_speed_run(args.one, args.requests, args.rate)))
        return

    capacity = NUM_REPLICAS * replica_capacity_req_s()
    rate = LOAD * capacity
    print(f"machine: {machine()}")
    print(f"command: python bench/fleet_sim_bench.py --requests {args.requests} --seeds {args.seeds} "
          f"--poisson-requests {args.poisson_requests}")
    print(f"{NUM_REPLICAS} x {SETTING}, fleet capacity {capacity:.1f} req/s ({NUM_REPLICAS} x FCFS "
          f"at saturation), Poisson at {LOAD:.0%} = {rate:.1f} req/s; policy {POLICY} in every replica")

    if not args.skip_speed:
        print()
        print(f"{'run':28s} {'requests':>9s} {'cpu s':>8s} {'wall s':>8s} {'req/cpu-s':>10s} "
              f"{'peak MiB':>9s} {'steps':>9s} {'steps/req':>9s} {'mean lat s':>10s}")
        runs = [("single engine, same load", "single", args.requests // NUM_REPLICAS,
                 rate / NUM_REPLICAS)]
        runs += [(f"fleet, router {router}", router, args.requests, rate) for router in ROUTERS]
        for label, router, count, run_rate in runs:
            row = measure_speed(router, count, run_rate)
            print(f"{label:28s} {count:9d} {row['cpu_s']:8.1f} {row['wall_s']:8.1f} "
                  f"{row['req_per_cpu_s']:10.0f} {row['peak_rss_mib']:9.0f} {row['steps']:9d} "
                  f"{row['steps'] / count:9.2f} {row['mean_latency_s']:10.2f}", flush=True)

    if not args.skip_routers:
        seeds = list(range(args.seeds))
        burst_size = BURST_PER_REPLICA * NUM_REPLICAS
        print()
        print_comparison(
            f"reference burst: seed-burst, gap 0.01 s, 20 epochs, max_concurrent_user_requests "
            f"{burst_size} ({BURST_PER_REPLICA} per replica)",
            compare_routers(lambda rng: workloads.seed_burst(
                rng, user_request_gap_s=0.01, max_concurrent_user_requests=burst_size,
                num_epochs=20), seeds), args.seeds)
        for load in (LOAD, OVERLOAD):
            poisson_rate = load * capacity
            print()
            print_comparison(
                f"Poisson at {load:.0%} of fleet capacity, {poisson_rate:.1f} req/s, "
                f"{args.poisson_requests} requests",
                compare_routers(lambda rng: workloads.poisson(  # noqa: B023 (called at once)
                    rng, rate_per_s=poisson_rate, num_requests=args.poisson_requests), seeds),
                args.seeds)

if __name__ == "__main__":
    main()
