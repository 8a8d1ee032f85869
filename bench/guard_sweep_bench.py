"""Benchmark: what semantic-guard's prefill allowance buys class 0 and costs the others, at 90% load.

    python bench/guard_sweep_bench.py [--guard-s 1000,0.8,0.4,0.2,0.1,0.05] [--seeds 1,2,3]
                                      [--requests 20000] [--priority-mix 0.03,0.12,0.3,0.35,0.2]

Poisson at 6.48 req/s (90% of A100_7B's capacity) at vLLM's limits; FCFS on the same requests
is the baseline. Prints, per ``--guard-s`` (1000 is no guard in practice), the medians over seeds
of: class 0's mean and p99 latency over idle (ratios of means), the overall mean and class 4's
mean over FCFS's, throughput over FCFS's, the longest wait, and the share of time a class-0
request is in the system.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402
from scheduling.regimes import Regime, run_policies  # noqa: E402
from scheduling.workloads import parse_priority_mix  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guard-s", default="1000,0.8,0.4,0.2,0.1,0.05")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--priority-mix", type=parse_priority_mix)
    args = parser.parse_args()
    guards = [float(g) for g in args.guard_s.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    regime = Regime("poisson-90", "Poisson at 90% of capacity", "poisson", rate_per_s=6.48,
                    num_requests=args.requests, priority_mix=args.priority_mix)
    rows: dict[str, list[dict]] = {}
    for seed in seeds:
        requests = regime.requests(seed)
        fcfs = run_policies(regime, seed, ["fcfs"], requests=requests)[0]
        rows.setdefault("fcfs", []).append(figures(fcfs, fcfs))
        for guard_s in guards:
            run = run_policies(regime, seed, ["semantic-guard"],
                               lambda name, g=guard_s: {"guard_s": g}, requests=requests)[0]
            rows.setdefault(f"guard {guard_s:g}", []).append(figures(run, fcfs))
        print(f"  seed {seed} done", file=sys.stderr, flush=True)

    mix = ",".join(f"{w:g}" for w in args.priority_mix) if args.priority_mix else "uniform"
    print(f"machine: {machine()}")
    print(f"command: python bench/guard_sweep_bench.py --guard-s {args.guard_s} --seeds {args.seeds} "
          f"--requests {args.requests}" + (f" --priority-mix {mix}" if args.priority_mix else ""))
    print(f"A100_7B, Poisson 6.48 req/s (90%), vLLM's limits, priority mix {mix}; "
          f"medians over seeds {args.seeds}")
    columns = list(next(iter(rows.values()))[0])
    print(f"{'policy':14s}" + "".join(f"{c:>16s}" for c in columns))
    for name, seed_rows in rows.items():
        print(f"{name:14s}" + "".join(f"{statistics.median(r[c] for r in seed_rows):16.3f}"
                                      for c in columns))


def figures(run, fcfs) -> dict:
    return {
        "P0 x idle": run.ratio_to_idle(0),
        "P0 p99 x idle": run.p99_ratio_to_idle(0),
        "mean / FCFS": run.overall["mean_latency_s"] / fcfs.overall["mean_latency_s"],
        "P4 / FCFS": run.class_mean_s(4) / fcfs.class_mean_s(4),
        "req/s / FCFS": run.overall["throughput_req_s"] / fcfs.overall["throughput_req_s"],
        "longest wait s": run.overall["max_queueing_delay_s"],
        "P0 present": run.p0_present_share,
    }


if __name__ == "__main__":
    main()
