"""Reports comparing policies: a text table, JSON, and one offline HTML page of charts."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from scheduling.metrics import RequestTimings
from scheduling.result import RunResult

PRIORITY_LABELS = {0: "P0 immediate", 1: "P1 emergent", 2: "P2 urgent", 3: "P3 less urgent",
                   4: "P4 non-urgent"}
MAX_PLOT_POINTS = 2000
"""Per trace: enough for a smooth curve, few enough that the page stays small beside plotly.js."""

# (header, summary key, kind): kind picks the formatting.
TABLE_COLUMNS = (
    ("requests", "requests", "count"),
    ("mean lat", "mean_latency_s", "s"),
    ("p50 lat", "p50_latency_s", "s"),
    ("p90 lat", "p90_latency_s", "s"),
    ("p99 lat", "p99_latency_s", "s"),
    ("mean TTFT", "mean_ttft_s", "s"),
    ("p99 TTFT", "p99_ttft_s", "s"),
    ("mean TPOT", "mean_tpot_s", "s"),
    ("mean queue", "mean_queueing_delay_s", "s"),
    ("max wait", "max_queueing_delay_s", "s"),
    ("SLO met", "slo_attainment", "fraction"),
)


def priority_label(priority: int | str) -> str:
    return PRIORITY_LABELS.get(int(priority), f"P{priority}")


def format_value(value: float | int | None, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "count":
        return str(value)
    if kind == "fraction":
        return f"{100 * value:.1f}%"
    return f"{value:.3f}"


def format_table(summaries: dict[str, dict]) -> str:
    """Fixed-width table, one row per policy and priority plus an "all" row per policy."""
    header = ["policy", "priority"] + [name for name, _, _ in TABLE_COLUMNS]
    rows: list[list[str]] = []
    for policy, summary in summaries.items():
        groups = [(priority_label(p), g) for p, g in summary["per_priority"].items()]
        for label, group in groups + [("all", summary["overall"])]:
            rows.append([policy, label] + [format_value(group.get(key), kind)
                                           for _, key, kind in TABLE_COLUMNS])
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        # Names read left to right; numbers line up on the right.
        text = [cell.ljust(w) if i < 2 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(cells, widths))]
        return "  ".join(text).rstrip()

    rule = "-" * len(line(header))
    lines = ["times in seconds", line(header), rule]
    previous_policy = None
    for row in rows:
        if previous_policy is not None and row[0] != previous_policy:
            lines.append(rule)
        lines.append(line(row))
        previous_policy = row[0]
    return "\n".join(lines)


def format_summary_lines(summaries: dict[str, dict]) -> str:
    """One line per policy with the headline numbers, for a quick comparison at the terminal."""
    width = max((len(p) for p in summaries), default=0)
    lines = []
    for policy, summary in summaries.items():
        overall = summary["overall"]
        p0_mean = summary["per_priority"].get("0", {}).get("mean_latency_s")
        fields = [
            f"{overall['requests']} req",
            f"mean {format_value(overall['mean_latency_s'], 's')} s",
            f"p99 {format_value(overall['p99_latency_s'], 's')} s",
            f"P0 mean {format_value(p0_mean, 's')} s",
            f"{_format_number(overall['throughput_tok_s'], '.1f')} tok/s",
            f"goodput {_format_number(overall['goodput_req_s'], '.2f')} req/s",
            f"{overall['preemptions']} preemptions",
            f"KV util mean {format_value(overall['kv_util_mean'], 'fraction')}"
            f" peak {format_value(overall['kv_util_peak'], 'fraction')}",
        ]
        lines.append(f"{policy.ljust(width)}  " + ", ".join(fields))
    return "\n".join(lines)


def _format_number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_fleet(fleet: dict) -> str:
    """One line describing a fleet run (the figures above and below are fleet-wide)."""
    limits = [f"{key.replace('_', ' ')} {fleet[key]}" for key in ("reserve", "urgent_reserve")
              if fleet.get(key) is not None]
    return (f"fleet: {fleet['replicas']} replicas behind the {fleet['router']} router"
            + (f", {', '.join(limits)}" if limits else "") + "; figures are fleet-wide")


def format_replica_lines(summaries: dict[str, dict]) -> str:
    """Per policy, the spread over replicas of calls taken and of mean latency."""
    width = max((len(p) for p in summaries), default=0)
    lines = []
    for policy, summary in summaries.items():
        replicas = summary.get("per_replica", [])
        counts = [r["requests"] for r in replicas]
        latencies = [r["mean_latency_s"] for r in replicas if r["mean_latency_s"] is not None]
        if not counts:
            continue
        line = f"{policy.ljust(width)}  per replica: requests {min(counts)}..{max(counts)}"
        if latencies:
            line += (f", mean latency {format_value(min(latencies), 's')}.."
                     f"{format_value(max(latencies), 's')} s")
        lines.append(line)
    return "\n".join(lines)


SUMMARY_PARTS = ("overall", "per_priority", "per_replica")


def to_json(setting_name: str, workload: dict, summaries: dict[str, dict],
            fleet: dict | None = None) -> dict:
    """The machine-readable report: ``{"setting", "workload", "policies": {name: summary}}``;
    a fleet run adds ``"fleet"`` and each policy's ``"per_replica"`` list."""
    report = {"setting": setting_name, "workload": dict(workload)}
    if fleet is not None:
        report["fleet"] = dict(fleet)
    report["policies"] = {policy: {part: s[part] for part in SUMMARY_PARTS if part in s}
                          for policy, s in summaries.items()}
    return report


def write_json(path: str | Path, setting_name: str, workload: dict,
               summaries: dict[str, dict], fleet: dict | None = None) -> None:
    text = json.dumps(to_json(setting_name, workload, summaries, fleet), indent=2, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


def write_html(path: str | Path, setting_name: str, workload: dict, summaries: dict[str, dict],
               results: dict[str, RunResult], fleet: dict | None = None) -> None:
    """One self-contained page (plotly.js inlined once) that opens offline, e.g. from an e-mail."""
    workload_text = ", ".join(f"{k}={v}" for k, v in workload.items())
    title = f"{setting_name}: {workload_text}" if workload_text else setting_name
    timings = {policy: RequestTimings.from_requests(r.requests) for policy, r in results.items()}
    figures = [
        _latency_bars(summaries, "mean_latency_s", "Mean end-to-end latency per priority"),
        _latency_bars(summaries, "p90_latency_s", "p90 end-to-end latency per priority"),
        _latency_cdf(timings, None, "Latency CDF, all requests"),
        _latency_cdf(timings, 0, f"Latency CDF, {priority_label(0)}"),
        _timeline_figure(results, "waiting", "Waiting requests over time", "requests waiting"),
        _timeline_figure(results, "kv", "KV cache utilisation over time",
                         "KV blocks used / capacity"),
    ]
    fleet_html = ""
    if fleet is not None:
        figures += [_replica_bars(summaries, "requests", "Calls taken per replica", "calls"),
                    _replica_bars(summaries, "mean_latency_s", "Mean latency per replica",
                                  "seconds")]
        fleet_html = (f"<p>{html.escape(format_fleet(fleet))}</p>\n"
                      f"<pre>{html.escape(format_replica_lines(summaries))}</pre>\n")
    divs = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), default_height="420px")
            for i, fig in enumerate(figures)]
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>body {{ font-family: sans-serif; margin: 1.5em; }} pre {{ font-size: 12px; }}</style>
</head>
<body>
<h1>{html.escape(setting_name)}</h1>
<p>{html.escape(workload_text)}</p>
{fleet_html}<pre>{html.escape(format_summary_lines(summaries))}</pre>
<pre>{html.escape(format_table(summaries))}</pre>
{"".join(f'<div class="figure">{div}</div>' for div in divs)}
</body>
</html>
"""
    Path(path).write_text(page, encoding="utf-8")


def _latency_bars(summaries: dict[str, dict], key: str, title: str) -> go.Figure:
    priorities = sorted({int(p) for s in summaries.values() for p in s["per_priority"]})
    fig = go.Figure()
    for policy, summary in summaries.items():
        groups = summary["per_priority"]
        fig.add_trace(go.Bar(
            name=policy,
            x=[priority_label(p) for p in priorities],
            y=[groups.get(str(p), {}).get(key) for p in priorities],
        ))
    fig.update_layout(title=title, barmode="group", yaxis_title="seconds")
    return fig


def _replica_bars(summaries: dict[str, dict], key: str, title: str, y_title: str) -> go.Figure:
    fig = go.Figure()
    for policy, summary in summaries.items():
        replicas = summary.get("per_replica", [])
        fig.add_trace(go.Bar(name=policy, x=[f"replica {i}" for i in range(len(replicas))],
                             y=[r[key] for r in replicas]))
    fig.update_layout(title=title, barmode="group", yaxis_title=y_title)
    return fig


def _latency_cdf(timings: dict[str, RequestTimings], priority: int | None,
                 title: str) -> go.Figure:
    fig = go.Figure()
    for policy, t in timings.items():
        latency = t.latency_s if priority is None else t.latency_s[t.priority == priority]
        latency = np.sort(latency[~np.isnan(latency)])
        fraction = np.arange(1, latency.size + 1) / max(latency.size, 1)
        keep = _sample_indices(latency.size)
        fig.add_trace(go.Scatter(name=policy, x=latency[keep], y=fraction[keep], mode="lines"))
    fig.update_layout(title=title, xaxis_title="latency (s)", yaxis_title="fraction finished",
                      yaxis_range=[0, 1])
    return fig


def _timeline_figure(results: dict[str, RunResult], series: str, title: str,
                     y_title: str) -> go.Figure:
    fig = go.Figure()
    for policy, result in results.items():
        timeline = result.timeline
        time_s = np.asarray(timeline.time_s, dtype=float)
        if series == "waiting":
            values = np.asarray(timeline.num_waiting, dtype=float)
        else:
            used = np.asarray(timeline.num_kv_blocks_used, dtype=float)
            values = used / max(result.num_kv_blocks, 1)
        keep = _sample_indices(time_s.size)
        fig.add_trace(go.Scatter(name=policy, x=time_s[keep], y=values[keep], mode="lines",
                                 line_shape="hv"))
    fig.update_layout(title=title, xaxis_title="time (s)", yaxis_title=y_title)
    return fig


def _sample_indices(size: int, max_points: int = MAX_PLOT_POINTS) -> np.ndarray:
    """Evenly spaced indices, first and last kept, so long runs plot at a bounded size."""
    if size <= max_points:
        return np.arange(size)
    return np.unique(np.linspace(0, size - 1, max_points).round().astype(np.int64))
