"""Benchmark: simulator cost of a backlog larger than every buffer (A100_7B, 16 seats).

    python bench/backlog_bench.py [--requests 20000]

All requests arrive at once, so nearly all of them wait while 16 run: the case where any
per-step work that grows with the waiting queue shows. Prints process CPU seconds and the
simulated steps per policy.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine  # noqa: E402
from scheduling import workloads  # noqa: E402
from scheduling.hardware import load_builtin_setting  # noqa: E402
from scheduling.plan import BatchLimits  # noqa: E402
from scheduling.policies import make_policy  # noqa: E402
from scheduling.simulator import simulate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--policies", default="fcfs,semantic,semantic-aging,semantic-guard")
    args = parser.parse_args()
    requests = workloads.poisson(random.Random(1), rate_per_s=100_000.0, num_requests=args.requests,
                                 prompt_tokens=workloads.Uniform(1, 499),
                                 output_tokens=workloads.Uniform(1, 498))
    print(f"machine: {machine()}; {args.requests} requests at once, A100_7B, 16 seats, 2,048 tokens")
    print(f"{'policy':16s} {'cpu s':>7s} {'steps':>8s}")
    for name in args.policies.split(","):
        started = time.process_time()
        result = simulate(requests, load_builtin_setting("A100_7B"), make_policy(name), BatchLimits(16, 2048))
        print(f"{name:16s} {time.process_time() - started:7.2f} {len(result.timeline):8d}")


if __name__ == "__main__":
    main()
