"""Wrong passwords are limited (django-axes): the 5th in a row locks that username out at that
address with a 429, even for the right password, until the cool-off; a success resets the count."""

from __future__ import annotations

import pytest
from django.test import Client

PASSWORD = "correct horse battery"


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True  # off in the test settings, so other tests cannot lock themselves out
    return settings


@pytest.fixture
def nurse(django_user_model):
    return django_user_model.objects.create_user("nurse", password=PASSWORD, is_staff=True)


def log_in(client: Client, password: str, address: str = "203.0.113.5", username: str = "nurse"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_user_out_at_that_address(client, axes_on, nurse):
    statuses = [log_in(client, "wrong").status_code for _ in range(6)]
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]  # the 5th failure locks
    locked = log_in(client, PASSWORD)
    assert locked.status_code == 429 and not locked.wsgi_request.user.is_authenticated
    assert b"locked" in locked.content.lower()

    elsewhere = log_in(Client(), PASSWORD, address="203.0.113.99")  # the pair is locked, not the user
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off(client, axes_on, nurse):
    for _ in range(5):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 429
    axes_on.AXES_COOLOFF_TIME = 0  # as if the 15 minutes had passed
    assert log_in(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_success_resets_the_count(client, axes_on, nurse):
    for _ in range(4):
        assert log_in(client, "wrong").status_code == 200
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert log_in(client, "wrong").status_code == 200  # four again, not a lockout


@pytest.mark.django_db
def test_the_admin_login_is_limited_too(client, axes_on, nurse):
    def admin_log_in(password: str):
        return client.post("/admin/login/", {"username": "nurse", "password": password},
                           REMOTE_ADDR="203.0.113.7")
    assert [admin_log_in("wrong").status_code for _ in range(5)][-1] == 429
    assert admin_log_in(PASSWORD).status_code == 429
