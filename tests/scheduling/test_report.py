"""The text table, JSON and HTML report of several policies' summaries."""

from __future__ import annotations

import json
import re

from scheduling.metrics import summarize
from scheduling.report import (
    MAX_PLOT_POINTS, PRIORITY_LABELS, _sample_indices, format_summary_lines, format_table,
    to_json, write_html, write_json,
)
from scheduling.request import Request
from scheduling.result import RunResult, Timeline

PLOTLY_JS_MARKER = "* plotly.js v"  # the banner that opens the bundled plotly.min.js
WORKLOAD = {"arrival_epochs": 20, "gap_s": 0.01}


def make_result(policy: str, slowdown: float) -> RunResult:
    requests = []
    for i in range(10):
        request = Request(request_id=i, arrival_time_s=0.01 * i, prompt_tokens=50,
                          output_tokens=5, priority=i % 5)
        request.first_scheduled_time_s = request.arrival_time_s + 0.1 * slowdown * (i % 5)
        request.first_token_time_s = request.first_scheduled_time_s + 0.2
        request.finish_time_s = request.first_token_time_s + 0.04 * 4
        request.num_output_tokens = 5
        requests.append(request)
    timeline = Timeline()
    for step in range(3000):  # longer than one plot trace keeps
        timeline.record(step * 0.001, num_waiting=step % 4, num_running=2,
                        num_kv_blocks_used=step % 8, num_batched_tokens=32)
    return RunResult(policy=policy, requests=requests, timeline=timeline, num_kv_blocks=8,
                     num_preemptions=1, num_iterations=3000)


def make_runs() -> tuple[dict[str, RunResult], dict[str, dict]]:
    results = {"fcfs": make_result("fcfs", 1.0), "semantic": make_result("semantic", 0.5)}
    return results, {policy: summarize(result) for policy, result in results.items()}


def test_the_table_has_a_row_per_policy_and_priority_plus_all():
    _, summaries = make_runs()
    table = format_table(summaries)
    rows = table.splitlines()
    for policy in summaries:
        for label in list(PRIORITY_LABELS.values()) + ["all"]:
            assert any(row.startswith(policy) and f" {label} " in row for row in rows), label
    assert "SLO met" in table and "max wait" in table


def test_the_table_shows_a_dash_for_missing_values():
    _, summaries = make_runs()
    summaries["fcfs"]["overall"]["mean_tpot_s"] = None
    rows = format_table(summaries).splitlines()
    all_row = next(r for r in rows if r.startswith("fcfs") and " all " in r)
    assert " - " in all_row


def test_summary_lines_give_one_line_per_policy():
    _, summaries = make_runs()
    lines = format_summary_lines(summaries).splitlines()
    assert [line.split()[0] for line in lines] == ["fcfs", "semantic"]
    assert all("tok/s" in line and "goodput" in line and "KV util" in line for line in lines)


def test_json_has_exactly_the_documented_shape(tmp_path):
    _, summaries = make_runs()
    report = to_json("A100_4B", WORKLOAD, summaries)
    assert set(report) == {"setting", "workload", "policies"}
    assert report["setting"] == "A100_4B" and report["workload"] == WORKLOAD
    assert list(report["policies"]) == ["fcfs", "semantic"]
    for policy in report["policies"].values():
        assert set(policy) == {"overall", "per_priority"}
        assert list(policy["per_priority"]) == ["0", "1", "2", "3", "4"]
    path = tmp_path / "report.json"
    write_json(path, "A100_4B", WORKLOAD, summaries)
    assert json.loads(path.read_text()) == json.loads(json.dumps(report))


def test_html_is_one_offline_file_with_plotly_inlined_once(tmp_path):
    results, summaries = make_runs()
    path = tmp_path / "report.html"
    write_html(path, "A100_4B", WORKLOAD, summaries, results)
    page = path.read_text(encoding="utf-8")
    assert page.count(PLOTLY_JS_MARKER) == 1
    assert not re.search(r"<script[^>]*\ssrc\s*=\s*[\"']?https?:", page, re.IGNORECASE)
    assert "A100_4B" in page and "gap_s=0.01" in page
    assert page.count('class="plotly-graph-div"') == 6


def test_long_timelines_are_downsampled_keeping_both_ends():
    indices = _sample_indices(10_000)
    assert len(indices) <= MAX_PLOT_POINTS
    assert indices[0] == 0 and indices[-1] == 9_999
    assert list(_sample_indices(5)) == [0, 1, 2, 3, 4]
