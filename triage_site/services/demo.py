"""The demo's staff user: made (or given a fresh password) each time the demo starts."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_USERNAME = "demo"


@transaction.atomic
def demo_user_reset(*, username: str = DEMO_USERNAME) -> tuple[str, str]:
    """Create the staff superuser ``username`` if missing, give it a new random password, and
    return (username, password). Random, not fixed: a demo left running on a network must not
    open its patient data to a password printed in the README."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    password = secrets.token_urlsafe(9)
    user.set_password(password)
    user.is_staff = user.is_superuser = user.is_active = True
    user.save()
    return username, password
