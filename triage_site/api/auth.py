"""``Authorization: Bearer <token>`` for both APIs, checked against the stored token hashes."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from triage_site.api.tokens import api_token_authenticate
from triage_site.models import ApiToken


class BearerToken(HttpBearer):
    """Sets ``request.auth`` to the ``ApiToken`` (its ``user`` is the client); anything else is a 401.

    Ninja runs it in a worker thread for async views, so the database lookup is safe there too.
    """

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return api_token_authenticate(token.strip())
