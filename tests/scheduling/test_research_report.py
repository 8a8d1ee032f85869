"""The research report: a readable page whose conclusion is computed from its own numbers."""

from __future__ import annotations

import json
import re

import pytest

from scheduling.research_report import (CANDIDATE, ReportConfig, collect, conclusions, fmt_ci, main,
                                        render_html, stat)

PLOTLY_JS_MARKER = "* plotly.js v"
CONFIG = ReportConfig(loads=(0.5, 0.9), seeds=(1, 2), sweep_requests=150,
                      policies=("fcfs", "sjf", "pjf", "semantic", CANDIDATE))


@pytest.fixture(scope="module")
def data():
    return collect(CONFIG)


def test_every_policy_runs_every_regime_and_seed(data):
    assert [r.name for r in data.regimes] == ["load-50", "load-90", "burst-kv", "burst-seat"]
    for by_policy in data.runs.values():
        assert set(by_policy) == set(CONFIG.policies)
        assert all([run.seed for run in runs] == [1, 2] for runs in by_policy.values())


def test_the_page_has_a_real_title_tables_and_plotly_once(data):
    page = render_html(data)
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert title.startswith("Urgency-aware scheduling of LLM inference") and len(title) < 160
    assert page.count(PLOTLY_JS_MARKER) == 1
    assert page.count("<table>") == 1 + 6 + 2  # setup, six sweep metrics, two bursts
    assert '<tr class="candidate"><td>semantic-guard</td>' in page
    assert "<pre>" not in page  # tables, not monospace dumps


def test_the_conclusion_quotes_the_tables_figures(data):
    lines = conclusions(data)
    at90 = next(line for line in lines if line.startswith("At 90% load"))
    runs = data.runs["load-90"]
    expected = fmt_ci(*stat(runs[CANDIDATE], lambda run: run.ratio_to_idle(0)))
    assert f"keeps class 0 at {expected}x idle" in at90
    assert any(line.startswith("In the KV-bound burst") for line in lines)
    assert "± " in at90  # confidence intervals, not bare means


def test_the_command_writes_html_and_json(tmp_path):
    html_path, json_path = tmp_path / "report.html", tmp_path / "report.json"
    assert main(["--html", str(html_path), "--json", str(json_path), "--seeds", "1",
                 "--loads", "0.8", "--requests", "100", "--policies", f"fcfs,sjf,pjf,{CANDIDATE}"]) == 0
    report = json.loads(json_path.read_text())
    assert set(report["regimes"]) == {"load-80", "burst-kv", "burst-seat"}
    assert report["conclusions"] and html_path.read_text().startswith("<!DOCTYPE html>")
