"""Who may act as a dispatcher: one rule, shared by the pages and the live socket.

A dispatcher is an active staff user (``is_staff``). Call transcripts are patient data, so a
signed-in user without staff rights sees neither the dashboard nor a call, and the live socket
refuses them too, and stops streaming once the session ends or the user loses those rights.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def is_dispatcher(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def session_user(session_key: str | None):
    """Who the session ``session_key`` is signed in as now, read afresh from the session store
    and the user table: AnonymousUser once it has ended (logout, expiry, a password change),
    exactly as the next page request in that session would see it."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return auth.get_user(request)


def dispatcher_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users go to the login page; signed-in users who are not dispatchers get 403
    (sending them to log in again would loop)."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_dispatcher(request.user):
            raise PermissionDenied("Only dispatchers (staff users) may see calls.")
        return view(request, *args, **kwargs)

    return login_required(checked)
