"""The admin is for staff only, and lists calls with urgency filters and search."""

from __future__ import annotations

import pytest

from triage_site.models import Call, CallStatus


@pytest.mark.django_db
def test_staff_see_calls_filtered_by_urgency(client, django_user_model):
    staff = django_user_model.objects.create_user("operator", password="pw-long-enough-1", is_staff=True,
                                                  is_superuser=True)
    Call.objects.create(text="routine question", status=CallStatus.CLASSIFIED, predicted_priority=4)
    Call.objects.create(text="not breathing", status=CallStatus.CLASSIFIED, predicted_priority=0)
    client.force_login(staff)
    page = client.get("/admin/triage_site/call/?predicted_priority__exact=0")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert "P0 immediate" in page.content.decode()
    found = client.get("/admin/triage_site/call/?q=breathing")
    assert found.context["cl"].result_count == 1


@pytest.mark.django_db
def test_a_dispatcher_without_staff_rights_is_sent_to_log_in(client, django_user_model):
    user = django_user_model.objects.create_user("dispatcher", password="pw-long-enough-1")
    client.force_login(user)
    page = client.get("/admin/triage_site/call/")
    assert page.status_code == 302 and "/admin/login/" in page["Location"]
