"""Running a scenario: the simulator stores its figures; the engine target creates real calls."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from triage_site.models import Call, CallSource, Scenario, ScenarioRun
from triage_site.services import scenarios
from triage_site.services.scenario_plan import corpus_texts
from triage_site.services.scenarios import (ensure_demo_scenario, scenario_run, scenario_run_in_background,
                                            scenario_run_wait_for_calls)


def make_scenario(**fields) -> Scenario:
    defaults = dict(name="test", arrival_process="poisson", rate_per_min=120.0, num_calls=40,
                    text_source="corpus", policy="semantic", target="simulator", setting="A100_7B", seed=5)
    scenario = Scenario(**{**defaults, **fields})
    scenario.full_clean()
    scenario.save()
    return scenario


@pytest.mark.django_db
def test_a_simulator_run_stores_per_priority_figures():
    scenario = make_scenario(policy="fcfs", weight_p0=2.0)
    run = scenario_run(scenario_id=scenario.pk)
    assert (run.status, run.error, run.num_calls, run.setting, run.policy) == ("done", "", 40, "A100_7B", "fcfs")
    assert run.finished_at is not None and Call.objects.count() == 0
    assert run.results["setting"] == "A100_7B"
    assert run.results["workload"]["num_requests"] == 40
    summary = run.results["policies"]["fcfs"]
    assert summary["overall"]["requests"] == 40 and summary["overall"]["unfinished"] == 0
    per_priority = summary["per_priority"]
    assert set(per_priority) <= {"0", "1", "2", "3", "4"} and len(per_priority) >= 3
    assert sum(group["requests"] for group in per_priority.values()) == 40
    assert all(group["mean_latency_s"] > 0 and 0 <= group["slo_attainment"] <= 1
               for group in per_priority.values())


@pytest.mark.django_db
def test_the_run_may_choose_another_setting():
    scenario = make_scenario()
    assert scenario_run(scenario_id=scenario.pk, setting="H100_8B").results["setting"] == "H100_8B"


@pytest.mark.django_db
def test_an_engine_run_creates_scenario_calls_in_the_requested_mix_at_their_times(settings):
    assert settings.TRIAGE_GENERATION == "off"
    scenario = make_scenario(target="engine", setting="", weight_p0=1, weight_p1=0, weight_p2=0,
                             weight_p3=0, weight_p4=3)
    waits: list[float] = []
    run = scenario_run(scenario_id=scenario.pk, speed=10.0, sleep=waits.append, clock=lambda: 0.0)
    assert run.status == "done" and run.num_calls == 40 and run.target == "engine"
    calls = {c.pk: c for c in Call.objects.all()}
    assert sorted(calls) == sorted(run.call_ids) and len(calls) == 40
    assert {c.source for c in calls.values()} == {CallSource.SCENARIO}
    levels = Counter(entry["level"] for entry in run.calls)
    assert set(levels) == {0, 4} and levels[4] > 2 * levels[0]  # weights 1:3, seeded
    texts = corpus_texts(settings.TRIAGE_CORPUS_DIR / "test.jsonl")
    assert all(calls[e["call_id"]].text in texts[e["level"]] for e in run.calls)
    arrivals = [entry["arrival_s"] for entry in run.calls]
    assert arrivals == sorted(arrivals) and 10 < arrivals[-1] < 40  # 40 calls at 2 a second
    assert waits == pytest.approx([a / 10 for a in arrivals], abs=1e-3)  # sped up 10 times
    again = scenario_run(scenario_id=scenario.pk, sleep=lambda s: None)
    assert [e["level"] for e in again.calls] == [e["level"] for e in run.calls]  # same seed, same calls


@pytest.mark.django_db
def test_an_engine_run_records_that_the_engine_used_its_own_policy(settings):
    settings.TRIAGE_ENGINE_POLICY = "semantic"
    scenario = make_scenario(target="engine", setting="", policy="fcfs", num_calls=2)
    run = scenario_run(scenario_id=scenario.pk, sleep=lambda s: None)
    assert run.policy == "semantic"
    assert "'fcfs'" in run.note and "own policy 'semantic'" in run.note
    same = make_scenario(name="same", target="engine", setting="", policy="semantic", num_calls=2)
    assert "own policy" not in scenario_run(scenario_id=same.pk, sleep=lambda s: None).note


@pytest.mark.django_db
def test_a_failing_run_ends_failed_with_the_reason(monkeypatch):
    scenario = make_scenario(num_calls=3)

    def broken(*args, **kwargs):
        raise RuntimeError("simulator exploded")

    monkeypatch.setattr(scenarios, "simulate", broken)
    run = scenario_run(scenario_id=scenario.pk)
    assert run.status == "failed" and "simulator exploded" in run.error and run.finished_at


@pytest.mark.django_db
def test_the_demo_scenario_is_created_once_and_targets_the_engine():
    demo = ensure_demo_scenario()
    assert ensure_demo_scenario().pk == demo.pk and Scenario.objects.count() == 1
    assert demo.name == "demo" and demo.target == "engine" and demo.text_source == "corpus"
    assert 60 <= demo.num_calls / demo.rate_per_min * 60 <= 180  # about two minutes


@pytest.mark.django_db
def test_waiting_for_calls_ends_when_they_are_answered_or_on_timeout():
    scenario = make_scenario(target="engine", setting="", num_calls=2)
    run = scenario_run(scenario_id=scenario.pk, sleep=lambda s: None)
    clock = iter(range(100))
    assert not scenario_run_wait_for_calls(run_id=run.pk, timeout_s=3, sleep=lambda s: None,
                                           clock=lambda: next(clock))
    Call.objects.update(status="done")
    assert scenario_run_wait_for_calls(run_id=run.pk, timeout_s=3, sleep=lambda s: None)


@pytest.mark.django_db(transaction=True)
def test_a_background_run_finishes_in_its_own_thread():
    scenario = make_scenario(num_calls=10)
    run = scenario_run_in_background(scenario_id=scenario.pk)
    thread = next(t for t in threading.enumerate() if t.name == f"scenario-run-{run.pk}")
    thread.join(timeout=30)
    run = ScenarioRun.objects.get(pk=run.pk)
    assert run.status == "done" and run.results["workload"]["num_requests"] == 10

