"""A scenario's validation names the field at fault, in words an operator understands."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from triage_site.models import Scenario

VALID = dict(name="valid", arrival_process="poisson", rate_per_min=6.0, num_calls=10,
             text_source="corpus", policy="semantic", target="simulator", setting="A100_7B")


def errors_of(**changes) -> dict[str, list[str]]:
    scenario = Scenario(**{**VALID, **changes})
    with pytest.raises(ValidationError) as caught:
        scenario.full_clean()
    return caught.value.message_dict


@pytest.mark.django_db
def test_a_valid_scenario_passes():
    Scenario(**VALID).full_clean()
    Scenario(**{**VALID, "arrival_process": "bursts", "rate_per_min": None, "burst_size": 3,
                "burst_gap_s": 5.0, "num_calls": None, "duration_s": 60.0,
                "target": "engine", "setting": ""}).full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("changes,field,words", [
    ({"rate_per_min": None}, "rate_per_min", "required"),
    ({"rate_per_min": 0.0}, "rate_per_min", "> 0"),
    ({"arrival_process": "bursts", "burst_gap_s": 5.0}, "burst_size", "required"),
    ({"arrival_process": "bursts", "burst_size": 2, "burst_gap_s": 0.0}, "burst_gap_s", "> 0"),
    ({"num_calls": None}, "duration_s", "duration"),
    ({"duration_s": 30.0}, "duration_s", "not both"),
    ({"num_calls": None, "duration_s": -1.0}, "duration_s", "> 0"),
    ({"weight_p3": -0.5}, "weight_p3", ">= 0"),
    ({"weight_p0": 0, "weight_p1": 0, "weight_p2": 0, "weight_p3": 0, "weight_p4": 0},
     "weight_p0", "not all be zero"),
    ({"policy": "lottery"}, "policy", "lottery"),
    ({"setting": ""}, "setting", "hardware setting"),
    ({"setting": "TPU_1T"}, "setting", "TPU_1T"),
    ({"max_calls": 0}, "max_calls", "1.."),
])
def test_each_problem_names_its_field(changes, field, words):
    errors = errors_of(**changes)
    assert field in errors, errors
    assert words in " ".join(errors[field])


@pytest.mark.django_db
def test_names_are_unique():
    Scenario.objects.create(**VALID)
    assert "name" in errors_of()
