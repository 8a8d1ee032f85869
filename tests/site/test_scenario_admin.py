"""Staff run scenarios from the admin (in the background) and read the results; nobody else can."""

from __future__ import annotations

import pytest

from triage_site.models import Scenario, ScenarioRun
from triage_site.services import scenarios
from triage_site.services.scenarios import scenario_run

PASSWORD = "pw-long-enough-1"


@pytest.fixture
def scenario(db) -> Scenario:
    return Scenario.objects.create(name="rush hour", arrival_process="bursts", burst_size=4, burst_gap_s=2.0,
                                   num_calls=12, text_source="corpus", policy="semantic",
                                   target="simulator", setting="A100_7B")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("operator", password=PASSWORD, is_staff=True,
                                                 is_superuser=True)


@pytest.fixture
def started(monkeypatch) -> list[int]:
    """Run ids handed to a background thread (none is started)."""
    ids: list[int] = []
    monkeypatch.setattr(scenarios, "_start_thread", ids.append)
    return ids


def run_action(client, scenario, capture):
    with capture(execute=True):
        return client.post("/admin/triage_site/scenario/",
                           {"action": "run_selected", "_selected_action": [scenario.pk]})


@pytest.mark.django_db
def test_the_action_starts_a_run_in_the_background(client, staff, scenario, started,
                                                    django_capture_on_commit_callbacks):
    client.force_login(staff)
    response = run_action(client, scenario, django_capture_on_commit_callbacks)
    assert response.status_code == 302  # back to the list at once
    run = ScenarioRun.objects.get()
    assert (run.scenario, run.status, run.target, run.setting) == (scenario, "running", "simulator", "A100_7B")
    assert started == [run.pk]
    listing = client.get(response["Location"]).content.decode()
    assert f"run <a href=\"/scenarios/runs/{run.pk}/\">#{run.pk}</a> started" in listing


@pytest.mark.django_db
def test_an_invalid_scenario_is_not_started_and_the_operator_is_told_why(client, staff, scenario, started,
                                                                        django_capture_on_commit_callbacks):
    Scenario.objects.filter(pk=scenario.pk).update(weight_p0=0, weight_p1=0, weight_p2=0, weight_p3=0,
                                                   weight_p4=0)
    client.force_login(staff)
    response = run_action(client, scenario, django_capture_on_commit_callbacks)
    assert not ScenarioRun.objects.exists() and started == []
    assert "not all be zero" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_the_action_needs_staff(client, django_user_model, scenario, started,
                                django_capture_on_commit_callbacks):
    client.force_login(django_user_model.objects.create_user("dispatcher", password=PASSWORD))
    response = run_action(client, scenario, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not ScenarioRun.objects.exists() and started == []


@pytest.mark.django_db
def test_the_results_page_shows_charts_to_staff_only(client, django_user_model, staff, scenario):
    run = scenario_run(scenario_id=scenario.pk)
    url = f"/scenarios/runs/{run.pk}/"
    assert "/login/" in client.get(url)["Location"]  # anonymous
    client.force_login(django_user_model.objects.create_user("dispatcher", password=PASSWORD))
    assert "/login/" in client.get(url)["Location"]  # signed in, not staff
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert "vendor/plotly/plotly.min.js" in page and 'id="scenario-charts"' in page
    assert "P0 immediate" in page or "P4 non-urgent" in page
    assert "Latency per priority".lower() in page.lower()
    assert f"#{run.pk}" in client.get("/scenarios/runs/").content.decode()


@pytest.mark.django_db
def test_the_admin_run_page_is_read_only_and_shows_the_results(client, staff, scenario):
    run = scenario_run(scenario_id=scenario.pk)
    client.force_login(staff)
    page = client.get(f"/admin/triage_site/scenariorun/{run.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "vendor/plotly/plotly.min.js" in body and 'name="_save"' not in body
    assert client.get("/admin/triage_site/scenariorun/add/").status_code == 403


@pytest.mark.django_db
def test_an_engine_run_page_shows_its_calls_figures(client, staff, scenario):
    Scenario.objects.filter(pk=scenario.pk).update(target="engine", setting="")
    run = scenario_run(scenario_id=scenario.pk, sleep=lambda s: None)
    client.force_login(staff)
    page = client.get(f"/scenarios/runs/{run.pk}/").content.decode()
    assert "Calls per priority" in page and "location.reload" in page  # calls not answered yet
