"""The research report (``make report``): every policy across loads and in both burst regimes,
over several seeds, as one offline HTML page with tables, charts and a conclusion computed
from the numbers.

    python -m scheduling.research_report --html out/report.html --json out/report.json
    python -m scheduling.research_report --quick ...      # a small smoke version

Load sweep: Poisson arrivals at 50..120% of the capacity measured here (FCFS at saturation),
vLLM's limits. Bursts: the reference burst at vLLM's limits (KV-bound) and at 16 seqs
(seat-bound). Each cell is the mean over seeds with a 95% confidence interval (Student's t);
every policy sees the same requests in a seed. "x idle" is a class's mean latency over the
mean latency of the same requests each alone on the same server.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go

from scheduling.hardware import load_builtin_setting
from scheduling.plan import BatchLimits
from scheduling.policies import policy_names
from scheduling.regimes import (PolicyRun, Regime, capacity_req_s, goal_regimes, mean_ci95,
                                run_policies)
from scheduling.report import priority_label
from scheduling.request import NUM_PRIORITIES

CANDIDATE = "semantic-guard"
DEFAULT_LOADS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2)
IDLE_TARGET = 1.5
"""P0 within 1.5x its idle latency: the issue's target for urgent requests."""


@dataclass(frozen=True)
class ReportConfig:
    setting_name: str = "A100_7B"
    loads: tuple[float, ...] = DEFAULT_LOADS
    seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    sweep_requests: int = 4_000
    policies: tuple[str, ...] = field(default_factory=lambda: tuple(policy_names()))
    jobs: int = 1


@dataclass
class ReportData:
    config: ReportConfig
    capacity_req_s: float
    regimes: list[Regime]
    runs: dict[str, dict[str, list[PolicyRun]]]
    """regime name -> policy -> one run per seed."""


# --- collecting -------------------------------------------------------------------------------

def sweep_regimes(config: ReportConfig, capacity: float) -> list[Regime]:
    return [Regime(f"load-{round(100 * load)}", f"Poisson at {load:.0%} of capacity "
                   f"({load * capacity:.2f} req/s)", "poisson", setting_name=config.setting_name,
                   rate_per_s=round(load * capacity, 4), num_requests=config.sweep_requests)
            for load in config.loads]


def burst_regimes(config: ReportConfig) -> list[Regime]:
    return [Regime(r.name, r.title, r.kind, r.limits, config.setting_name)
            for r in goal_regimes() if r.kind == "seed-burst"]


def collect(config: ReportConfig, progress=None) -> ReportData:
    setting = load_builtin_setting(config.setting_name)
    capacity = capacity_req_s(setting, BatchLimits())
    regimes = sweep_regimes(config, capacity) + burst_regimes(config)
    tasks = [(regime, seed, config.policies) for regime in regimes for seed in config.seeds]
    runs: dict[str, dict[str, list[PolicyRun]]] = {
        r.name: {p: [] for p in config.policies} for r in regimes}
    if config.jobs > 1:
        with ProcessPoolExecutor(config.jobs) as pool:
            results = pool.map(_run_task, tasks)
            for done, task_runs in enumerate(results, 1):
                _store(runs, task_runs)
                if progress:
                    progress(done, len(tasks))
    else:
        for done, task in enumerate(tasks, 1):
            _store(runs, _run_task(task))
            if progress:
                progress(done, len(tasks))
    for by_policy in runs.values():
        for seed_runs in by_policy.values():
            seed_runs.sort(key=lambda run: run.seed)
    return ReportData(config, capacity, regimes, runs)


def _run_task(task: tuple[Regime, int, Sequence[str]]) -> list[PolicyRun]:
    regime, seed, policies = task
    return run_policies(regime, seed, policies)


def _store(runs: dict, task_runs: list[PolicyRun]) -> None:
    for run in task_runs:
        runs[run.regime][run.policy].append(run)


# --- figures from runs ------------------------------------------------------------------------

def stat(runs: list[PolicyRun], value) -> tuple[float | None, float | None]:
    """Mean over seeds and 95% CI half-width of ``value(run)``."""
    return mean_ci95([value(run) for run in runs])


def paired(runs: list[PolicyRun], baseline: list[PolicyRun], value) -> tuple[float | None, float | None]:
    """Mean over seeds (and CI) of value(run) / value(baseline run of the same seed)."""
    ratios = []
    for run, base in zip(runs, baseline):
        top, bottom = value(run), value(base)
        ratios.append(top / bottom if top is not None and bottom else None)
    return mean_ci95(ratios)


P0_MEAN = lambda run: run.class_mean_s(0)  # noqa: E731
OVERALL_MEAN = lambda run: run.overall["mean_latency_s"]  # noqa: E731
SWEEP_METRICS = (
    ("P0 x idle", lambda run: run.ratio_to_idle(0), "{:.2f}"),
    ("P0 p99 x idle", lambda run: run.p99_ratio_to_idle(0), "{:.2f}"),
    ("P4 x idle", lambda run: run.ratio_to_idle(4), "{:.2f}"),
    ("mean latency (s)", OVERALL_MEAN, "{:.2f}"),
    ("throughput (req/s)", lambda run: run.overall["throughput_req_s"], "{:.2f}"),
    ("goodput (req/s)", lambda run: run.overall["goodput_req_s"], "{:.2f}"),
)


# --- the conclusion ----------------------------------------------------------------------------

def conclusions(data: ReportData) -> list[str]:
    """Sentences computed from the numbers (each names its figures and their 95% CIs)."""
    runs, policies = data.runs, data.config.policies
    sweep = [r for r in data.regimes if r.kind == "poisson"]
    lines = []

    def within_target_up_to(policy: str) -> float | None:
        best = None
        for regime, load in zip(sweep, data.config.loads):
            mean, _ = stat(runs[regime.name][policy], lambda run: run.ratio_to_idle(0))
            if mean is None or mean > IDLE_TARGET:
                break
            best = load
        return best

    reach: dict[float | None, list[str]] = {}
    for policy in policies:
        reach.setdefault(within_target_up_to(policy), []).append(policy)
    reached = "; ".join(f"up to {load:.0%} load under {', '.join(names)}"
                        for load, names in sorted(reach.items(), key=lambda item: item[0] or 0)
                        if load is not None)
    lines.append(f"Class-0 requests stay within {IDLE_TARGET}x their idle latency "
                 + (f"{reached}." if reached else "at none of the loads measured.")
                 + " Above that, a class-0 request shares its iterations with the prefill the "
                   "load brings, which no order removes (docs/FINDINGS.md, section 3).")
    at90 = next((r for r, load in zip(sweep, data.config.loads) if abs(load - 0.9) < 1e-9), None)
    if at90 is not None and CANDIDATE in policies and "fcfs" in policies:
        by = runs[at90.name]
        cand, cand_ci = stat(by[CANDIDATE], lambda run: run.ratio_to_idle(0))
        fcfs, fcfs_ci = stat(by["fcfs"], lambda run: run.ratio_to_idle(0))
        over, over_ci = paired(by[CANDIDATE], by["fcfs"], OVERALL_MEAN)
        p4, p4_ci = paired(by[CANDIDATE], by["fcfs"], lambda run: run.class_mean_s(4))
        present = stat(by[CANDIDATE], lambda run: run.p0_present_share)[0]
        lines.append(
            f"At 90% load, {CANDIDATE} keeps class 0 at {fmt_ci(cand, cand_ci)}x idle against "
            f"FCFS's {fmt_ci(fcfs, fcfs_ci)}x, for an overall mean {fmt_ci(over, over_ci)}x "
            f"FCFS's and class 4 at {fmt_ci(p4, p4_ci)}x FCFS's. A class-0 request is in the "
            f"system {present:.1%} of the time, so the prefill the load requires cannot be "
            f"moved to moments without one.")
    for name, label in (("burst-kv", "KV-bound burst"), ("burst-seat", "seat-bound burst")):
        if name not in runs or CANDIDATE not in policies:
            continue
        by = runs[name]
        parts = []
        for base in ("pjf", "fcfs", "semantic"):
            if base in policies:
                value, ci = paired(by[CANDIDATE], by[base], P0_MEAN)
                parts.append(f"{fmt_ci(value, ci)}x {base.upper() if base != 'semantic' else base}'s")
        overall = paired(by[CANDIDATE], by["sjf"], OVERALL_MEAN) if "sjf" in policies else (None, None)
        lines.append(f"In the {label}, {CANDIDATE}'s class-0 mean latency is {', '.join(parts)}; "
                     f"its overall mean is {fmt_ci(*overall)}x SJF's.")
    if sweep and CANDIDATE in policies:
        last, load = sweep[-1], data.config.loads[-1]
        by = runs[last.name]
        cand, cand_ci = stat(by[CANDIDATE], lambda run: run.ratio_to_idle(0))
        others = [(stat(by[p], lambda run: run.ratio_to_idle(0))[0], p) for p in policies
                  if p != CANDIDATE]
        others = [(value, p) for value, p in others if value is not None]
        if others and cand is not None:
            low, high = min(others), max(others)
            lines.append(f"At {load:.0%} load, where requests really queue, {CANDIDATE} keeps class 0 "
                         f"at {fmt_ci(cand, cand_ci)}x idle; the other policies range from "
                         f"{low[0]:.2f}x ({low[1]}) to {high[0]:.2f}x ({high[1]}).")
    top = [r for r, load in zip(sweep, data.config.loads) if load >= 1.0]
    if top and "fcfs" in policies:
        worst = min((paired(runs[top[-1].name][p], runs[top[-1].name]["fcfs"],
                            lambda run: run.overall["throughput_req_s"])[0] or 0, p) for p in policies)
        lines.append(f"Past capacity every policy is capped by the same server: at "
                     f"{data.config.loads[-1]:.0%} load the lowest throughput is {worst[0]:.3f}x "
                     f"FCFS's ({worst[1]}).")
    return lines


def fmt_ci(mean: float | None, half_width: float | None, spec: str = "{:.2f}") -> str:
    if mean is None:
        return "-"
    text = spec.format(mean)
    return text if half_width is None else f"{text} ± {spec.format(half_width)}"


# --- HTML ---------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em; line-height: 1.45;
       color: #222; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
tr.candidate td { background: #eef6ff; }
.muted { color: #666; font-size: 0.9em; }
code { background: #f6f6f6; padding: 0 0.2em; }
"""


def render_html(data: ReportData) -> str:
    config, runs = data.config, data.runs
    setting = load_builtin_setting(config.setting_name)
    sweep = [r for r in data.regimes if r.kind == "poisson"]
    bursts = [r for r in data.regimes if r.kind != "poisson"]
    figures = [
        sweep_figure(data, sweep, lambda run: run.ratio_to_idle(0),
                     "Class 0 (life-threatening): mean latency over idle", "x idle", IDLE_TARGET),
        sweep_figure(data, sweep, lambda run: run.ratio_to_idle(4),
                     "Class 4 (non-urgent): mean latency over idle", "x idle"),
        sweep_figure(data, sweep, lambda run: run.overall["throughput_req_s"],
                     "Throughput", "requests / s"),
        sweep_figure(data, sweep, lambda run: run.overall["goodput_req_s"],
                     "Goodput (requests meeting their class's TTFT and TPOT SLOs)", "requests / s"),
    ] + [class_figure(data, regime) for regime in bursts]
    divs = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), default_height="430px")
            for i, fig in enumerate(figures)]
    sweep_tables = "".join(
        f"<h3>{html.escape(name)}</h3>" + sweep_table(data, sweep, value, spec)
        for name, value, spec in SWEEP_METRICS)
    burst_tables = "".join(f"<h3>{html.escape(r.title)}</h3>" + burst_table(data, r) for r in bursts)
    conclusion = "".join(f"<li>{html.escape(line)}</li>" for line in conclusions(data))
    title = (f"Urgency-aware scheduling of LLM inference: every policy from 50% to "
             f"{max(config.loads):.0%} load and in two bursts ({config.setting_name}, simulated)")
    seeds = ", ".join(map(str, config.seeds))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="muted">Discrete-event simulation of one LLM server (iteration-level continuous batching,
paged KV cache). Seeds {seeds}; every policy sees the identical requests in a seed. Figures are
means over seeds with 95% confidence intervals (Student's t). Reproduce with
<code>make report</code> or <code>python -m scheduling.research_report</code>.</p>

<h2>Conclusion</h2>
<ul>{conclusion}</ul>

<h2>Setup</h2>
{setup_table(data, setting)}
<p>Policies: {", ".join(f"<code>{html.escape(p)}</code>" for p in config.policies)}
(docs/ARCHITECTURE.md describes each). <b>Idle</b> is the same request alone on the same server;
"x idle" is the class's mean latency divided by the mean idle latency of the same requests.
Goodput counts requests meeting their class's TTFT and TPOT targets (class 0: 1 s and 0.05 s,
class 4: 30 s and 0.2 s).</p>

<h2>Load sweep: Poisson arrivals, vLLM's limits (256 seqs, 2,048 tokens)</h2>
<p>Capacity {data.capacity_req_s:.2f} req/s: FCFS's throughput with every request waiting
from the start. {config.sweep_requests:,} requests per run; past 100% the queue grows for the
whole run, so latencies there depend on its length.</p>
{"".join(f'<div class="figure">{div}</div>' for div in divs[:4])}
{sweep_tables}

<h2>Bursts: the reference workload (20 epochs 0.01 s apart, up to 50 requests each)</h2>
<p>KV-bound at vLLM's limits (the cache fills), seat-bound at 16 seqs (KV use stays low).
Ratios are taken per seed against the baseline on the same requests, then averaged.</p>
{"".join(f'<div class="figure">{div}</div>' for div in divs[4:])}
{burst_tables}
</body>
</html>
"""


def setup_table(data: ReportData, setting) -> str:
    config = data.config
    rows = [
        ("hardware setting", f"{setting.name}: {setting.description}"),
        ("step time", f"c2 {setting.c2:g} s per iteration + c1 {setting.c1:g} s per token of "
                      f"decode context + prefill a·p·(2s+p) + b·p (a {setting.prefill_a:g}, "
                      f"b {setting.prefill_b:g})"),
        ("KV cache", f"{setting.kv_capacity_tokens:,} tokens in blocks of {setting.block_size}"),
        ("requests", "urgency uniform over classes 0..4; prompt Uniform{1..499}, "
                     "output Uniform{1..498} tokens; perfect predictions"),
        ("load sweep", ", ".join(f"{load:.0%}" for load in config.loads)
         + f" of capacity, {config.sweep_requests:,} requests each"),
        ("seeds", ", ".join(map(str, config.seeds))),
    ]
    body = "".join(f"<tr><td>{html.escape(k)}</td><td style='text-align:left'>{html.escape(v)}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


def sweep_table(data: ReportData, sweep: list[Regime], value, spec: str) -> str:
    header = "<tr><th>policy</th>" + "".join(f"<th>{load:.0%}</th>" for load in data.config.loads) + "</tr>"
    body = []
    for policy in data.config.policies:
        cells = "".join(f"<td>{fmt_ci(*stat(data.runs[r.name][policy], value), spec)}</td>"
                        for r in sweep)
        css = ' class="candidate"' if policy == CANDIDATE else ""
        body.append(f"<tr{css}><td>{html.escape(policy)}</td>{cells}</tr>")
    return f"<table>{header}{''.join(body)}</table>"


BURST_COLUMNS = (
    ("P0 mean (s)", lambda data, runs, by: stat(runs, P0_MEAN)),
    ("P0 / PJF", lambda data, runs, by: paired(runs, by.get("pjf", []), P0_MEAN)),
    ("P0 / FCFS", lambda data, runs, by: paired(runs, by.get("fcfs", []), P0_MEAN)),
    ("P0 x idle", lambda data, runs, by: stat(runs, lambda run: run.ratio_to_idle(0))),
    ("P4 mean (s)", lambda data, runs, by: stat(runs, lambda run: run.class_mean_s(4))),
    ("mean (s)", lambda data, runs, by: stat(runs, OVERALL_MEAN)),
    ("mean / SJF", lambda data, runs, by: paired(runs, by.get("sjf", []), OVERALL_MEAN)),
    ("goodput (req/s)", lambda data, runs, by: stat(runs, lambda run: run.overall["goodput_req_s"])),
    ("longest wait (s)", lambda data, runs, by: stat(runs, lambda run: run.overall["max_queueing_delay_s"])),
)


def burst_table(data: ReportData, regime: Regime) -> str:
    by = data.runs[regime.name]
    header = "<tr><th>policy</th>" + "".join(f"<th>{html.escape(name)}</th>" for name, _ in BURST_COLUMNS) + "</tr>"
    body = []
    for policy in data.config.policies:
        cells = "".join(f"<td>{fmt_ci(*column(data, by[policy], by))}</td>" for _, column in BURST_COLUMNS)
        css = ' class="candidate"' if policy == CANDIDATE else ""
        body.append(f"<tr{css}><td>{html.escape(policy)}</td>{cells}</tr>")
    return f"<table>{header}{''.join(body)}</table>"


def sweep_figure(data: ReportData, sweep: list[Regime], value, title: str, y_title: str,
                 target: float | None = None) -> go.Figure:
    fig = go.Figure()
    loads = [100 * load for load in data.config.loads]
    for policy in data.config.policies:
        means, errors = zip(*(stat(data.runs[r.name][policy], value) for r in sweep))
        fig.add_trace(go.Scatter(
            name=policy, x=loads, y=means, mode="lines+markers",
            error_y={"type": "data", "array": [e or 0 for e in errors], "visible": True},
            line={"width": 3 if policy == CANDIDATE else 1.5}))
    if target is not None:
        fig.add_hline(y=target, line_dash="dot", annotation_text=f"target {target}x")
    fig.update_layout(title=title, xaxis_title="load (% of capacity)", yaxis_title=y_title)
    return fig


def class_figure(data: ReportData, regime: Regime) -> go.Figure:
    fig = go.Figure()
    for policy in data.config.policies:
        means, errors = zip(*(stat(data.runs[regime.name][policy], lambda run, p=p: run.class_mean_s(p))
                              for p in range(NUM_PRIORITIES)))
        fig.add_trace(go.Bar(name=policy, x=[priority_label(p) for p in range(NUM_PRIORITIES)],
                             y=means, error_y={"type": "data", "array": [e or 0 for e in errors]}))
    fig.update_layout(title=f"{regime.title}: mean latency per class", barmode="group",
                      yaxis_title="seconds")
    return fig


def to_json(data: ReportData) -> dict:
    return {
        "setting": data.config.setting_name,
        "capacity_req_s": data.capacity_req_s,
        "seeds": list(data.config.seeds),
        "conclusions": conclusions(data),
        "regimes": {
            regime.name: {
                "title": regime.title, "command": regime.command(),
                "policies": {policy: [{"seed": run.seed, "overall": run.overall,
                                       "per_priority": run.summary["per_priority"],
                                       "ratio_to_idle": {p: run.ratio_to_idle(p)
                                                         for p in range(NUM_PRIORITIES)}}
                                      for run in data.runs[regime.name][policy]]
                             for policy in data.config.policies}}
            for regime in data.regimes},
    }


# --- command line ----------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scheduling.research_report",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--setting", default="A100_7B")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--requests", type=int, default=ReportConfig.sweep_requests,
                        help="requests per load-sweep run")
    parser.add_argument("--loads", default=",".join(f"{load:g}" for load in DEFAULT_LOADS),
                        help="fractions of capacity")
    parser.add_argument("--policies", default="all")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 seeds, 3 loads, 400 requests")
    args = parser.parse_args(argv)
    config = ReportConfig(
        setting_name=args.setting,
        loads=(0.5, 0.9, 1.2) if args.quick else tuple(float(x) for x in args.loads.split(",")),
        seeds=(1, 2) if args.quick else tuple(int(x) for x in args.seeds.split(",")),
        sweep_requests=400 if args.quick else args.requests,
        policies=tuple(policy_names()) if args.policies == "all" else tuple(args.policies.split(",")),
        jobs=args.jobs)

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total} runs", end="" if done < total else "\n", file=sys.stderr, flush=True)

    data = collect(config, progress)
    args.html.write_text(render_html(data), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(to_json(data), indent=1, allow_nan=False) + "\n")
    for line in conclusions(data):
        print(line)
    print(f"Report: {args.html} (one self-contained page; opens offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
