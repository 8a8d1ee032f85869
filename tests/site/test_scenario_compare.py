"""A simulator scenario run compares several policies on the same calls."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from triage_site.models import Scenario, ScenarioRun
from triage_site.services.scenarios import ordered_policies, scenario_run
from triage_site.views.scenarios import run_page_context


@pytest.fixture
def scenario(db) -> Scenario:
    return Scenario.objects.create(name="rush", arrival_process="bursts", burst_size=40, burst_gap_s=5.0,
                                   num_calls=120, target="simulator", setting="A100_7B",
                                   policy="semantic", compare_with="fcfs, pjf, semantic, fcfs", seed=3)


def test_every_compared_policy_runs_on_the_same_calls(scenario):
    run = scenario_run(scenario_id=scenario.pk)
    assert run.status == "done", run.error
    summaries = ordered_policies(run)
    assert list(summaries) == ["semantic", "fcfs", "pjf"]  # its own first; repeats dropped
    counts = {name: {p: g["requests"] for p, g in s["per_priority"].items()} for name, s in summaries.items()}
    assert counts["semantic"] == counts["fcfs"] == counts["pjf"]  # the same calls for each
    p0 = {name: s["per_priority"]["0"]["mean_latency_s"] for name, s in summaries.items()}
    assert p0["semantic"] < p0["fcfs"]  # the comparison shows what urgency buys


def test_the_run_page_shows_one_row_per_policy_and_a_chart(scenario):
    run = scenario_run(scenario_id=scenario.pk)
    context = run_page_context(ScenarioRun.objects.get(pk=run.pk))
    comparison = context["comparison"]
    assert [name for name, _ in comparison["rows"]] == ["semantic", "fcfs", "pjf"]
    assert comparison["columns"][-3:] == ["all mean", "all p99", "throughput req/s"]
    assert "policies" in [chart["id"] for chart in context["charts"]]


def test_the_command_names_the_compared_policies(scenario):
    out = io.StringIO()
    call_command("run_scenario", "rush", stdout=out)
    assert "policy semantic, compared with fcfs, pjf, 120 calls" in out.getvalue()


def test_an_unknown_policy_to_compare_is_refused_naming_it(scenario):
    scenario.compare_with = "fcfs, fastest"
    with pytest.raises(ValidationError) as error:
        scenario.full_clean()
    assert "Unknown policy 'fastest'" in error.value.message_dict["compare_with"][0]


def test_a_single_policy_run_has_no_comparison(scenario):
    Scenario.objects.filter(pk=scenario.pk).update(compare_with="")
    run = scenario_run(scenario_id=scenario.pk)
    assert run_page_context(ScenarioRun.objects.get(pk=run.pk))["comparison"] is None
