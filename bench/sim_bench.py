"""Benchmark: simulated requests per wall-clock second, A100_7B, Poisson at 90% load.

Load is relative to the capacity measured here: FCFS throughput when every request
is already waiting (saturation). Rates are per CPU-second of the simulating process
(it is single-threaded: "on one core"), so other work on the machine does not skew
them; wall time is shown beside. Each measurement runs in a fresh process, so peak
memory (max RSS) is that run's alone. The baseline, measured in the same run, is the
same simulator stepping one iteration at a time (no steady-plan fast-forward).

    python bench/sim_bench.py [--requests 100000] [--repeats 3]
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
from scheduling.hardware import load_builtin_setting  # noqa: E402
from scheduling.plan import BatchLimits  # noqa: E402
from scheduling.policies import make_policy  # noqa: E402
from scheduling.simulator import Simulation  # noqa: E402

SETTING = "A100_7B"
LOAD = 0.9


class IterationByIteration(Simulation):
    """The baseline: every iteration is its own event."""

    def _steady_iterations(self, plan, now):
        return 1


def capacity_req_s() -> float:
    setting = load_builtin_setting(SETTING)
    burst = workloads.poisson(random.Random(0), rate_per_s=10_000, num_requests=5_000)
    result = Simulation([r.fresh_copy() for r in burst], setting, make_policy("fcfs"),
                        BatchLimits()).run()
    return len(burst) / max(r.finish_time_s for r in result.requests)


def one_run(policy: str, num_requests: int, rate: float, baseline: bool) -> dict:
    setting = load_builtin_setting(SETTING)
    requests = workloads.poisson(random.Random(1), rate_per_s=rate, num_requests=num_requests)
    simulation_class = IterationByIteration if baseline else Simulation
    started, started_cpu = time.perf_counter(), time.process_time()
    result = simulation_class(requests, setting, make_policy(policy), BatchLimits()).run()
    wall_s, cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
    latencies = [r.latency_s for r in result.requests]
    return {"req_per_s": num_requests / cpu_s, "cpu_s": cpu_s, "wall_s": wall_s,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "mean_latency_s": statistics.fmean(latencies), "iterations": result.num_iterations,
            "events": len(result.timeline)}


def measure(policy: str, num_requests: int, rate: float, baseline: bool, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        command = [sys.executable, __file__, "--one", policy, "--requests", str(num_requests),
                   "--rate", repr(rate)] + (["--baseline"] if baseline else [])
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(output))
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--baseline-requests", type=int, help="default: --requests")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--policies", default="fcfs,semantic,semantic-aging,slai")
    parser.add_argument("--one")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one, args.requests, args.rate, args.baseline)))
        return

    baseline_requests = args.baseline_requests or args.requests
    capacity = capacity_req_s()
    rate = LOAD * capacity
    print(f"machine: {machine()}")
    print(f"command: python bench/sim_bench.py --requests {args.requests} --repeats {args.repeats}")
    print(f"{SETTING}, capacity {capacity:.2f} req/s (FCFS at saturation), Poisson at "
          f"{LOAD:.0%} = {rate:.2f} req/s; medians of {args.repeats} runs, one process each")
    header = (f"{'policy':16s} {'mode':22s} {'requests':>9s} {'cpu s':>7s} {'wall s':>7s} {'req/cpu-s':>9s} "
              f"{'peak MiB':>9s} {'iterations':>11s} {'events':>9s} {'mean lat s':>10s}")
    print(header)
    for policy in args.policies.split(","):
        base = measure(policy, baseline_requests, rate, True, args.repeats)
        fast = measure(policy, args.requests, rate, False, args.repeats)
        for mode, row, count in (("iteration by iteration", base, baseline_requests),
                                 ("steady fast-forward", fast, args.requests)):
            print(f"{policy:16s} {mode:22s} {count:9d} {row['cpu_s']:7.2f} {row['wall_s']:7.2f} {row['req_per_s']:9.0f} "
                  f"{row['peak_rss_mib']:9.0f} {row['iterations']:11.0f} {row['events']:9.0f} "
                  f"{row['mean_latency_s']:10.2f}")
        print(f"{policy:16s} {'speed-up':22s} {fast['req_per_s'] / base['req_per_s']:9.1f}x")


if __name__ == "__main__":
    main()
