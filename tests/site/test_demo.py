"""The demo's staff user: created once, a fresh password each start, able to sign in."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from triage_site.services.demo import demo_user_reset


@pytest.mark.django_db
def test_each_start_gives_the_demo_user_a_new_password_that_works():
    username, first = demo_user_reset()
    _, second = demo_user_reset()
    assert get_user_model().objects.filter(username=username).count() == 1
    assert first != second and len(second) >= 12
    assert authenticate(username=username, password=first) is None
    user = authenticate(username=username, password=second)
    assert user is not None and user.is_staff


@pytest.mark.django_db
def test_a_negative_scenario_delay_is_refused_before_anything_starts():
    with pytest.raises(CommandError, match="scenario-delay-s"):
        call_command("demo", "--scenario-delay-s", "-1")
    assert not get_user_model().objects.exists()
