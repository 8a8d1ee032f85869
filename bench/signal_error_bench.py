"""How wrong urgency and length signals hurt the truly urgent: P0 latency per policy as errors grow.

The predictors in front of the scheduler are never perfect (docs/TRIAGE.md measures the urgency
classifier). This sweeps ``--priority-error-rate`` and ``--length-error-rate`` (0-40%, each
alone and both together) over the same Poisson requests per seed (common random numbers:
raising a rate only adds mispredictions) and reports, per policy and rate, for requests whose
TRUE level is 0:

* mean and p99 latency (arrival to last token);
* under-triaged P0s: how many were predicted less urgent (a priority error moves a 0 to 1),
  and their mean and p99 latency: the costly failure, hidden in a class mean;
* under-served P0s: the share of true P0s slower than the same policy's P0 p99 with perfect
  signals on the same seed (1% at error 0 by construction).

Prints a markdown table and the command; writes a Plotly page (offline) and JSON.

    python bench/signal_error_bench.py                     # A100_7B, 110% load, 5,000 requests, 3 seeds
    python bench/signal_error_bench.py --load 0.9 --html out/signal_error_90.html
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine  # noqa: E402
from scheduling import workloads  # noqa: E402
from scheduling.hardware import load_builtin_setting  # noqa: E402
from scheduling.policies import make_policy  # noqa: E402
from scheduling.predictors import PredictorConfig, apply_predictions  # noqa: E402
from scheduling.scheduler import BatchLimits  # noqa: E402
from scheduling.simulator import simulate  # noqa: E402

CAPACITY_REQ_S = {"A100_7B": 7.2}
"""FCFS saturation throughput at vLLM's limits (``regimes.capacity_req_s``; 90% = 6.48 req/s)."""
POLICIES = ("fcfs", "pjf", "vllm-priority", "semantic", "semantic-aging", "semantic-guard")
RATES = (0.0, 0.1, 0.2, 0.3, 0.4)
SWEEPS = ("priority", "length", "both")


def p0_figures(requests, baseline_p99_s: float | None) -> dict:
    """True-P0 latency figures of one finished run (see the module docstring)."""
    p0 = [r for r in requests if r.priority == 0]
    latency = np.array([r.latency_s for r in p0])
    under = np.array([r.latency_s for r in p0 if r.predicted_priority > 0])
    figures = {
        "num_p0": len(p0),
        "p0_mean_s": float(latency.mean()),
        "p0_p99_s": float(np.percentile(latency, 99)),
        "num_under_triaged": int(under.size),
        "under_triaged_mean_s": float(under.mean()) if under.size else None,
        "under_triaged_p99_s": float(np.percentile(under, 99)) if under.size else None,
    }
    if baseline_p99_s is not None:
        figures["under_served_share"] = float((latency > baseline_p99_s).mean())
    return figures


def rates_of(sweep: str, rate: float) -> tuple[float, float]:
    return {"priority": (rate, 0.0), "length": (0.0, rate), "both": (rate, rate)}[sweep]


def run(args: argparse.Namespace) -> list[dict]:
    rates = tuple(args.rates)
    setting = load_builtin_setting(args.setting)
    limits = BatchLimits()
    rate_per_s = args.load * CAPACITY_REQ_S[args.setting]
    rows = []
    for seed in range(args.seeds):
        base = workloads.poisson(random.Random(f"workload:{seed}"), rate_per_s=rate_per_s,
                                 num_requests=args.num_requests)
        baseline_p99: dict[str, float] = {}
        for sweep in SWEEPS:
            for rate in rates:
                if rate == 0.0 and sweep != "priority":
                    continue  # the error-free point is shared by the three sweeps
                priority_rate, length_rate = rates_of(sweep, rate)
                requests = [r.fresh_copy() for r in base]
                apply_predictions(requests, PredictorConfig(0.0, priority_rate, length_rate),
                                  random.Random(f"predictions:{seed}"))
                for policy in args.policies:
                    result = simulate(requests, setting, make_policy(policy), limits)
                    figures = p0_figures(result.requests, baseline_p99.get(policy))
                    if rate == 0.0:
                        baseline_p99[policy] = figures["p0_p99_s"]
                        figures["under_served_share"] = float(
                            np.mean([r.latency_s > figures["p0_p99_s"]
                                     for r in result.requests if r.priority == 0]))
                    rows.append({"seed": seed, "sweep": sweep, "rate": rate, "policy": policy, **figures})
                print(f"seed {seed} {sweep} {rate:.0%} done", file=sys.stderr, flush=True)
    return rows


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def aggregate(rows: list[dict]) -> list[dict]:
    """Per (sweep, rate, policy): means over seeds; the zero point appears in every sweep."""
    out = []
    for sweep in SWEEPS:
        for rate in sorted({r["rate"] for r in rows}):
            source_sweep = "priority" if rate == 0.0 else sweep
            for policy in dict.fromkeys(r["policy"] for r in rows):
                group = [r for r in rows if r["sweep"] == source_sweep and r["rate"] == rate
                         and r["policy"] == policy]
                if not group:
                    continue
                out.append({"sweep": sweep, "rate": rate, "policy": policy,
                            **{key: _mean([g[key] for g in group]) for key in
                               ("p0_mean_s", "p0_p99_s", "num_under_triaged", "under_triaged_mean_s",
                                "under_triaged_p99_s", "under_served_share")}})
    return out


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "–" if value is None else format(value, spec)


def table(aggregated: list[dict]) -> str:
    lines = ["| sweep | error rate | policy | P0 mean s | P0 p99 s | under-triaged P0s (of ~1,000) "
             "| their mean s | their p99 s | P0s beyond error-free p99 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in aggregated:
        lines.append(f"| {row['sweep']} | {row['rate']:.0%} | {row['policy']} | {_fmt(row['p0_mean_s'])} "
                     f"| {_fmt(row['p0_p99_s'])} | {_fmt(row['num_under_triaged'], '.0f')} "
                     f"| {_fmt(row['under_triaged_mean_s'])} | {_fmt(row['under_triaged_p99_s'])} "
                     f"| {_fmt(row['under_served_share'], '.1%')} |")
    return "\n".join(lines)


def write_html(path: Path, aggregated: list[dict], title: str) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    panels = [("priority", "p0_p99_s", "P0 p99 latency (s), priority errors"),
              ("priority", "under_triaged_p99_s", "p99 latency of under-triaged P0s (s)"),
              ("length", "p0_p99_s", "P0 p99 latency (s), length errors"),
              ("both", "under_served_share", "share of P0s beyond the error-free p99, both errors")]
    fig = make_subplots(rows=2, cols=2, subplot_titles=[p[2] for p in panels])
    policies = list(dict.fromkeys(r["policy"] for r in aggregated))
    colours = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692"]
    for index, (sweep, key, _) in enumerate(panels):
        for p_index, policy in enumerate(policies):
            points = [r for r in aggregated if r["sweep"] == sweep and r["policy"] == policy]
            fig.add_trace(go.Scatter(x=[100 * r["rate"] for r in points], y=[r[key] for r in points],
                                     mode="lines+markers", name=policy, legendgroup=policy,
                                     showlegend=index == 0, line={"color": colours[p_index % len(colours)]}),
                          row=index // 2 + 1, col=index % 2 + 1)
    fig.update_xaxes(title_text="error rate (%)")
    fig.update_layout(title=title, height=800)
    path.write_text(fig.to_html(full_html=True, include_plotlyjs=True), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", default="A100_7B", choices=sorted(CAPACITY_REQ_S))
    parser.add_argument("--load", type=float, default=1.1, help="share of capacity (default 1.1)")
    parser.add_argument("--num-requests", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--policies", type=lambda s: s.split(","), default=list(POLICIES))
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=list(RATES),
                        help="error rates to sweep, comma-separated (0 must be first)")
    parser.add_argument("--html", type=Path, default=Path("out/signal_error.html"))
    parser.add_argument("--json", type=Path, default=Path("out/signal_error.json"))
    args = parser.parse_args()
    started = time.process_time()
    if not args.rates or args.rates[0] != 0.0:
        parser.error("--rates must start with 0 (the error-free baseline)")
    rows = run(args)
    aggregated = aggregate(rows)
    title = (f"{args.setting}, Poisson at {args.load:.0%} of capacity "
             f"({args.load * CAPACITY_REQ_S[args.setting]:.2f} req/s), {args.num_requests:,} requests, "
             f"{args.seeds} seeds")
    for path in (args.html, args.json):
        path.parent.mkdir(parents=True, exist_ok=True)
    write_html(args.html, aggregated, title)
    args.json.write_text(json.dumps({"title": title, "rows": rows, "aggregated": aggregated}, indent=1))
    print(f"machine: {machine()}")
    print(f"command: python bench/signal_error_bench.py --load {args.load:g} --num-requests "
          f"{args.num_requests} --seeds {args.seeds} --policies {','.join(args.policies)} "
          f"--rates {','.join(f'{r:g}' for r in args.rates)}")
    print(title + f"; {time.process_time() - started:.0f} CPU s")
    print(table(aggregated))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
