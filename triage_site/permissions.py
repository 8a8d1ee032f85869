"""Who may act as a dispatcher: one rule, shared by the pages and the live socket.

A dispatcher is an active staff user (``is_staff``). Call transcripts are patient data, so a
signed-in user without staff rights sees neither the dashboard nor a call, and the live socket
refuses them too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def is_dispatcher(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def dispatcher_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users go to the login page; signed-in users who are not dispatchers get 403
    (sending them to log in again would loop)."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_dispatcher(request.user):
            raise PermissionDenied("Only dispatchers (staff users) may see calls.")
        return view(request, *args, **kwargs)

    return login_required(checked)
