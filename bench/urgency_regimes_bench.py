"""Benchmark: the urgency issue's goals, every policy on the same requests, in three regimes.

    python bench/urgency_regimes_bench.py [--requests 20000] [--seeds 1,2,3,4,5] [--json OUT]

Regimes (A100_7B): Poisson at 90% of capacity (6.48 req/s) at vLLM's limits; the reference
burst (gap 0.01 s, up to 50 an epoch) at vLLM's limits (KV-bound) and at 16 seqs
(seat-bound). For each seed every policy runs on the identical request list; each figure is
the median over seeds of that seed's figure (ratios are taken per seed, then the median).
"Idle" is the same request alone on the same server; "x idle" is a ratio of means (the
class's mean latency over its mean idle latency). Prints the goal table (target, every
policy, met/missed for the candidate), the figures per regime, and what bounds them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402
from scheduling.policies import DEFAULT_MAX_WAIT_S, POLICY_OPTIONS, make_policy, policy_names  # noqa: E402
from scheduling.regimes import Regime, capacity_req_s, goal_regimes, median, run_policies  # noqa: E402
from scheduling.request import NUM_PRIORITIES, Request  # noqa: E402
from scheduling.simulator import simulate  # noqa: E402
from scheduling.step_time import StepTimeModel  # noqa: E402

CANDIDATE = "semantic-guard"
AGING_POLICIES = ("semantic-aging", "semantic-guard")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000, help="Poisson regime's requests")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--policies", default="all")
    parser.add_argument("--max-wait-s", type=float, default=DEFAULT_MAX_WAIT_S)
    parser.add_argument("--class-weights", help="semantic-guard's research option, e.g. 1.75,1.5,1.25,1")
    parser.add_argument("--json", type=Path, help="write every per-seed figure as JSON")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    policies = policy_names() if args.policies == "all" else args.policies.split(",")
    for needed in ("fcfs", "sjf", "pjf"):
        if needed not in policies:
            policies.append(needed)  # the goals' baselines

    def options(name: str) -> dict:
        chosen = {"max_wait_s": args.max_wait_s}
        if args.class_weights:
            chosen["class_weights"] = tuple(float(w) for w in args.class_weights.split(","))
        return {k: v for k, v in chosen.items() if k in POLICY_OPTIONS.get(name, ())}

    started = time.process_time()
    regimes = goal_regimes(num_requests=args.requests)
    rows: dict[str, dict[str, list]] = {}  # regime -> policy -> [PolicyRun per seed]
    extras: dict[str, list[dict]] = {}
    for regime in regimes:
        rows[regime.name] = {p: [] for p in policies}
        extras[regime.name] = []
        for seed in seeds:
            requests = regime.requests(seed)
            for run in run_policies(regime, seed, policies, options, requests):
                rows[regime.name][run.policy].append(run)
            extras[regime.name].append(explain(regime, requests, rows[regime.name], seed))
            print(f"  {regime.name} seed {seed} done ({time.process_time() - started:.0f} cpu s)",
                  file=sys.stderr, flush=True)
    cpu_s = time.process_time() - started

    setting = regimes[0].setting
    print(f"machine: {machine()}")
    print(f"command: python bench/urgency_regimes_bench.py --requests {args.requests} "
          f"--seeds {args.seeds}" + (f" --policies {args.policies}" if args.policies != "all" else "")
          + (f" --max-wait-s {args.max_wait_s:g}" if args.max_wait_s != DEFAULT_MAX_WAIT_S else "")
          + (f" --class-weights {args.class_weights}" if args.class_weights else ""))
    print(f"A100_7B, capacity {capacity_req_s(setting, regimes[0].limits):.2f} req/s (FCFS at "
          f"saturation); seeds {args.seeds}; medians over seeds; {cpu_s:.0f} CPU s")
    for regime in regimes:
        print(f"  {regime.name}: {regime.title}: {regime.command()}")
    print()
    goals = goal_rows(rows, args.max_wait_s)
    print_goal_table(goals, policies)
    for regime in regimes:
        print()
        print_regime(regime, rows[regime.name], policies, extras[regime.name])
    if args.json:
        args.json.write_text(json.dumps(to_json(regimes, rows, extras, goals, seeds), indent=1) + "\n")


# --- the goals ------------------------------------------------------------------------------

def ratio_median(runs_a: list, runs_b: list, value) -> float | None:
    """Median over seeds of value(run_a) / value(run_b), same seed."""
    ratios = []
    for a, b in zip(runs_a, runs_b):
        top, bottom = value(a), value(b)
        if top is not None and bottom:
            ratios.append(top / bottom)
    return median(ratios)


def goal_rows(rows: dict, max_wait_s: float) -> list[dict]:
    """Each goal line: its text, target, comparison, and the value for every policy."""
    p0_mean = lambda run: run.class_mean_s(0)  # noqa: E731
    overall = lambda run: run.overall["mean_latency_s"]  # noqa: E731
    throughput = lambda run: run.overall["throughput_req_s"]  # noqa: E731
    lines = []

    def add(goal: str, text: str, target: float, below: bool, values: dict) -> None:
        lines.append({"goal": goal, "text": text, "target": target, "below": below, "values": values})

    poisson, kv, seat = rows["poisson-90"], rows["burst-kv"], rows["burst-seat"]
    add("1", "Poisson 90%: P0 mean / idle", 1.5, True,
        {p: median([r.ratio_to_idle(0) for r in runs]) for p, runs in poisson.items()})
    add("1", "Poisson 90%: P0 p99 / idle p99", 2.5, True,
        {p: median([r.p99_ratio_to_idle(0) for r in runs]) for p, runs in poisson.items()})
    add("1", "Poisson 90%: throughput / FCFS", 0.97, False,
        {p: ratio_median(runs, poisson["fcfs"], throughput) for p, runs in poisson.items()})
    add("1", "Poisson 90%: overall mean / FCFS", 1.1, True,
        {p: ratio_median(runs, poisson["fcfs"], overall) for p, runs in poisson.items()})
    add("2", "KV-bound burst: P0 mean / PJF", 0.85, True,
        {p: ratio_median(runs, kv["pjf"], p0_mean) for p, runs in kv.items()})
    add("2", "KV-bound burst: overall mean / SJF", 1.1, True,
        {p: ratio_median(runs, kv["sjf"], overall) for p, runs in kv.items()})
    add("2", "seat-bound burst: P0 mean / PJF", 0.75, True,
        {p: ratio_median(runs, seat["pjf"], p0_mean) for p, runs in seat.items()})
    add("2", "seat-bound burst: P0 mean / FCFS", 0.15, True,
        {p: ratio_median(runs, seat["fcfs"], p0_mean) for p, runs in seat.items()})
    add("2", "seat-bound burst: overall mean / SJF", 1.1, True,
        {p: ratio_median(runs, seat["sjf"], overall) for p, runs in seat.items()})
    for name, regime_rows in rows.items():
        add("3", f"{name}: seeds with class means in order (of {len(regime_rows['fcfs'])})",
            len(regime_rows["fcfs"]), False,
            {p: sum(classes_in_order(r) for r in runs) for p, runs in regime_rows.items()})
    add("3", f"poisson-90: seeds with class means / idle in order (of {len(poisson['fcfs'])})",
        len(poisson["fcfs"]), False,
        {p: sum(classes_in_order(r, relative=True) for r in runs) for p, runs in poisson.items()})
    # "One service time": the longest any request of the workload takes alone on the server.
    add("3", f"Poisson 90%: longest wait - ({max_wait_s:g} s + one service), worst seed", 0.0, True,
        {p: max(r.overall["max_queueing_delay_s"] - max_wait_s - r.longest_idle_s for r in runs)
         for p, runs in poisson.items()})
    return lines


def classes_in_order(run, relative: bool = False) -> bool:
    """Are the class means (or, ``relative``, their ratios to idle) non-decreasing P0..P4?"""
    means = [run.ratio_to_idle(p) if relative else run.class_mean_s(p) for p in range(NUM_PRIORITIES)]
    means = [m for m in means if m is not None]
    return all(a <= b for a, b in zip(means, means[1:]))


def met(line: dict, value: float | None) -> str:
    if value is None:
        return "-"
    ok = value <= line["target"] + 1e-12 if line["below"] else value >= line["target"] - 1e-12
    return "met" if ok else "MISSED"


def print_goal_table(lines: list[dict], policies: list[str]) -> None:
    width = max(len(line["text"]) for line in lines)
    header = f"{'goal':4s} {'measure':{width}s} {'target':>8s} " + " ".join(f"{p:>14s}" for p in policies)
    print(f"goals (candidate: {CANDIDATE}; goal 3 is judged on {', '.join(AGING_POLICIES)})")
    print(header + f"  {CANDIDATE}")
    for line in lines:
        relation = "<=" if line["below"] else ">="
        cells = " ".join(f"{format_cell(line['values'].get(p)):>14s}" for p in policies)
        verdicts = line["values"].get(CANDIDATE)
        verdict = met(line, verdicts)
        if line["goal"] == "3":
            verdict = ", ".join(f"{p} {met(line, line['values'].get(p))}" for p in AGING_POLICIES)
        print(f"{line['goal']:4s} {line['text']:{width}s} {relation + format_cell(line['target']):>8s} "
              f"{cells}  {verdict}")


def format_cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"


# --- per regime ---------------------------------------------------------------------------------

REGIME_COLUMNS = (
    ("P0 mean s", lambda r: r.class_mean_s(0)),
    ("P0 x idle", lambda r: r.ratio_to_idle(0)),
    ("P0 x idle/req", lambda r: r.class_ratio_per_request.get(0)),
    ("P0 p99 x idle", lambda r: r.p99_ratio_to_idle(0)),
    ("P0 TPOT s", lambda r: r.summary["per_priority"]["0"]["mean_tpot_s"]),
    ("P4 mean s", lambda r: r.class_mean_s(4)),
    ("P4 x idle", lambda r: r.ratio_to_idle(4)),
    ("all mean s", lambda r: r.overall["mean_latency_s"]),
    ("req/s", lambda r: r.overall["throughput_req_s"]),
    ("goodput", lambda r: r.overall["goodput_req_s"]),
    ("preempt", lambda r: r.overall["preemptions"]),
    ("max wait s", lambda r: r.overall["max_queueing_delay_s"]),
    ("KV peak", lambda r: r.overall["kv_util_peak"]),
)


def print_regime(regime: Regime, rows: dict, policies: list[str], extras: list[dict]) -> None:
    print(f"{regime.name}: {regime.title} (medians over seeds)")
    print(f"{'policy':16s}" + "".join(f"{name:>14s}" for name, _ in REGIME_COLUMNS)
          + "  class means s (P0..P4)")
    for policy in policies:
        runs = rows[policy]
        cells = "".join(f"{format_cell(median([value(r) for r in runs])):>14s}"
                        for _, value in REGIME_COLUMNS)
        classes = [median([r.class_mean_s(p) for r in runs]) for p in range(NUM_PRIORITIES)]
        print(f"{policy:16s}{cells}  " + " ".join(format_cell(c) for c in classes))
    keys = extras[0].keys()
    print("why: " + "; ".join(f"{key} {format_cell(median([e[key] for e in extras]))}" for key in keys))


def explain(regime: Regime, requests: list[Request], rows: dict, seed: int) -> dict:
    """The figures that bound what any order can do here (this seed)."""
    setting = regime.setting
    fcfs = rows["fcfs"][-1]
    model = StepTimeModel.from_setting(setting)
    prefill_s = sum(model.prefill_s(r.prompt_tokens) for r in requests)
    figures = {"prefill share of FCFS's makespan": prefill_s / fcfs.overall["makespan_s"]}
    if regime.kind == "poisson":
        figures[f"share of time a P0 is in the system ({CANDIDATE})"] = \
            rows[CANDIDATE][-1].p0_present_share if CANDIDATE in rows else fcfs.p0_present_share
    else:
        # P0 alone on the server (the other classes removed), as they arrive and all known at
        # t=0 (latency still from their real arrival): what the P0s' own work costs them.
        pjf_p0, fcfs_p0 = rows["pjf"][-1].class_mean_s(0), fcfs.class_mean_s(0)
        alone = [r for r in requests if r.priority == 0]
        at_zero = [Request(r.request_id, 0.0, r.prompt_tokens, r.output_tokens, 0) for r in alone]
        arrival = {r.request_id: r.arrival_time_s for r in alone}
        for label, subset in (("P0 alone", alone), ("P0 alone, all known at t=0", at_zero)):
            result = simulate(subset, setting, make_policy(CANDIDATE), regime.limits)
            mean_s = statistics.fmean(r.finish_time_s - arrival[r.request_id] for r in result.requests)
            figures[f"{label} ({CANDIDATE}) / PJF"] = mean_s / pjf_p0
            figures[f"{label} / FCFS"] = mean_s / fcfs_p0
    return figures


def to_json(regimes: list[Regime], rows: dict, extras: dict, goals: list[dict], seeds: list[int]) -> dict:
    return {
        "seeds": seeds,
        "regimes": {r.name: {"title": r.title, "command": r.command()} for r in regimes},
        "goals": goals,
        "why": extras,
        "runs": {name: {policy: [{"seed": run.seed, "summary": run.summary,
                                  "class_idle_mean_s": run.class_idle_mean_s,
                                  "class_idle_p99_s": run.class_idle_p99_s,
                                  "class_ratio_per_request": run.class_ratio_per_request,
                                  "longest_service_s": run.longest_service_s,
                                  "longest_idle_s": run.longest_idle_s,
                                  "p0_present_share": run.p0_present_share}
                                 for run in runs] for policy, runs in by_policy.items()}
                 for name, by_policy in rows.items()},
    }


if __name__ == "__main__":
    main()
