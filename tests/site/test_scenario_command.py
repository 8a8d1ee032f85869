"""`manage.py run_scenario NAME`: runs synchronously and prints a summary; bad input is one line, exit 2."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from triage_site.models import Call, Scenario, ScenarioRun


@pytest.fixture
def scenario(db) -> Scenario:
    return Scenario.objects.create(name="night shift", rate_per_min=30.0, num_calls=15, target="simulator",
                                   setting="A100_4B", policy="semantic-aging")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("run_scenario", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_simulators_table(scenario):
    out = run("night shift")
    assert "scenario 'night shift' on the simulator (A100_4B), policy semantic-aging, 15 calls" in out
    assert "times in seconds" in out and "semantic-aging" in out
    assert ScenarioRun.objects.get().status == "done"


def test_a_setting_chooses_the_simulator(scenario):
    Scenario.objects.filter(pk=scenario.pk).update(target="engine", setting="")
    assert "on the simulator (H100_8B)" in run("night shift", "--setting", "H100_8B")


def test_an_engine_run_creates_the_calls(scenario):
    out = run("night shift", "--target", "engine", "--speed", "1000")
    assert "created 15 calls" in out and "TRIAGE_GENERATION is 'off'" in out
    assert Call.objects.filter(source="scenario").count() == 15


@pytest.mark.parametrize("args,words", [
    (("nobody",), "unknown scenario 'nobody'; scenarios: night shift"),
    (("night shift", "--setting", "TPU_1T"), "Unknown hardware setting 'TPU_1T'"),
    (("night shift", "--target", "engine", "--setting", "A100_7B"), "simulator runs only"),
    (("night shift", "--speed", "0"), "speed"),
])
def test_bad_input_is_one_line_with_exit_code_2(scenario, args, words):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert not ScenarioRun.objects.exists()


def test_the_demo_scenario_is_made_when_missing(db):
    out = run("demo", "--target", "simulator", "--setting", "A100_7B")
    assert "scenario 'demo' on the simulator" in out
    assert Scenario.objects.get().name == "demo"
