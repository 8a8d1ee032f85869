"""Scenario run pages (staff only): a list of recent runs and one run's results with charts.

Charts are drawn in the browser by Plotly (``vendor/plotly/plotly.min.js``, served from the
plotly package) from the figures this view puts on the page as JSON: a simulator run's stored
summary, or what an engine run's calls did so far.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from inference.levels import level
from scheduling.report import format_value
from triage_site.models import ScenarioRun, ScenarioRunStatus, ScenarioTarget
from triage_site.services.scenarios import ordered_policies, scenario_run_call_figures

RECENT_RUNS = 50
REFRESH_S = 5

# (label, summary key, kind) of the simulator table; kind picks the formatting.
SIMULATOR_COLUMNS = (
    ("requests", "requests", "count"),
    ("mean latency", "mean_latency_s", "s"),
    ("p50 latency", "p50_latency_s", "s"),
    ("p90 latency", "p90_latency_s", "s"),
    ("p99 latency", "p99_latency_s", "s"),
    ("mean TTFT", "mean_ttft_s", "s"),
    ("mean queueing", "mean_queueing_delay_s", "s"),
    ("max wait", "max_queueing_delay_s", "s"),
    ("SLO met", "slo_attainment", "fraction"),
)
ENGINE_COLUMNS = (
    ("calls", "num_calls", "count"),
    ("done", "num_done", "count"),
    ("failed", "num_failed", "count"),
    ("rated at this level", "num_predicted_as_level", "count"),
    ("mean latency", "mean_latency_s", "s"),
    ("mean TTFT", "mean_ttft_s", "s"),
    ("mean queueing", "mean_queueing_delay_s", "s"),
)


@staff_member_required
def scenario_run_list(request: HttpRequest) -> HttpResponse:
    runs = ScenarioRun.objects.select_related("scenario")[:RECENT_RUNS]
    return render(request, "scenarios/run_list.html", {"runs": runs})


@staff_member_required
def scenario_run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ScenarioRun.objects.select_related("scenario"), pk=run_id)
    return render(request, "scenarios/run_detail.html", run_page_context(run))


def run_page_context(run: ScenarioRun) -> dict[str, Any]:
    """What the results partial needs (the run page and the admin's run page share it)."""
    if run.target == ScenarioTarget.SIMULATOR:
        groups, columns, still_changing = _simulator_groups(run), SIMULATOR_COLUMNS, False
    else:
        groups, columns = _engine_groups(run), ENGINE_COLUMNS
        still_changing = any(g["num_done"] + g["num_failed"] < g["num_calls"] for _, g in groups)
    comparison = _policy_comparison(run)
    return {
        "run": run,
        "comparison": comparison,
        "columns": [label for label, _, _ in columns],
        "rows": [(label, [format_value(group.get(key), kind) for _, key, kind in columns])
                 for label, group in groups],
        "charts": _charts(run, groups) + ([comparison["chart"]] if comparison else []),
        "refresh_s": REFRESH_S if run.status == ScenarioRunStatus.RUNNING or still_changing else None,
    }


def _simulator_groups(run: ScenarioRun) -> list[tuple[str, dict]]:
    summary = (run.results or {}).get("policies", {}).get(run.policy)
    if not summary:
        return []
    groups = [(level(int(p)).label, g) for p, g in sorted(summary["per_priority"].items())]
    return groups + [("all", summary["overall"])]


def _policy_comparison(run: ScenarioRun) -> dict[str, Any] | None:
    """A simulator run that compared policies: mean latency per priority (by the calls' true
    level), overall mean and p99, and throughput, one row per policy; None for a single policy."""
    policies = ordered_policies(run)
    if len(policies) < 2:
        return None
    priorities = sorted({int(p) for summary in policies.values() for p in summary["per_priority"]})
    columns = [f"{level(p).label} mean" for p in priorities] + ["all mean", "all p99", "throughput req/s"]
    rows = []
    for name, summary in policies.items():
        per_priority = summary["per_priority"]
        overall = summary["overall"]
        cells = [format_value(per_priority.get(str(p), {}).get("mean_latency_s"), "seconds")
                 for p in priorities]
        cells += [format_value(overall.get("mean_latency_s"), "seconds"),
                  format_value(overall.get("p99_latency_s"), "seconds"),
                  format_value(overall.get("throughput_req_s"), "seconds")]
        rows.append((name, cells))
    chart = {"id": "policies", "title": "Mean latency per priority, by policy (same calls)",
             "y_title": "seconds", "labels": [level(p).label for p in priorities],
             "series": [{"name": name, "values": [summary["per_priority"].get(str(p), {}).get("mean_latency_s")
                                                  for p in priorities]}
                        for name, summary in policies.items()]}
    return {"columns": columns, "rows": rows, "chart": chart}


def _engine_groups(run: ScenarioRun) -> list[tuple[str, dict]]:
    return [(level(f.level).label, vars(f)) for f in scenario_run_call_figures(run)]


def _charts(run: ScenarioRun, groups: list[tuple[str, dict]]) -> list[dict]:
    """Grouped bars per priority, as ``{"id", "title", "y_title", "labels", "series"}``."""
    per_level = [(label, group) for label, group in groups if label != "all"]
    if not per_level:
        return []
    labels = [label for label, _ in per_level]

    def chart(chart_id: str, title: str, y_title: str, series: list[tuple[str, str]]) -> dict:
        return {"id": chart_id, "title": title, "y_title": y_title, "labels": labels,
                "series": [{"name": name, "values": [g.get(key) for _, g in per_level]}
                           for name, key in series]}

    if run.target == ScenarioTarget.SIMULATOR:
        return [
            chart("latency", "End-to-end latency per priority", "seconds",
                  [("mean", "mean_latency_s"), ("p50", "p50_latency_s"), ("p90", "p90_latency_s"),
                   ("p99", "p99_latency_s")]),
            chart("first-token", "Time to first token and queueing per priority", "seconds",
                  [("mean TTFT", "mean_ttft_s"), ("p99 TTFT", "p99_ttft_s"),
                   ("mean queueing", "mean_queueing_delay_s"), ("max wait", "max_queueing_delay_s")]),
            chart("slo", "SLO attainment per priority", "fraction of requests",
                  [("SLO met", "slo_attainment")]),
        ]
    return [
        chart("latency", "Measured latency per priority (finished calls)", "seconds",
              [("mean latency", "mean_latency_s"), ("mean TTFT", "mean_ttft_s"),
               ("mean queueing", "mean_queueing_delay_s")]),
        chart("calls", "Calls per priority", "calls",
              [("done", "num_done"), ("failed", "num_failed"), ("rated at this level", "num_predicted_as_level")]),
    ]
