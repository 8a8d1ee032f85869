"""``Authorization: Bearer <token>`` for both APIs, checked against the stored token hashes.

Failed attempts are counted per client IP (``throttle``): past the limit every request from that
address is a 429 until the window ends, valid token or not, so guessing cannot go on and a right
guess is not told apart from a wrong one.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from triage_site.api.throttle import TooManyFailures, auth_failure_wait_s, note_auth_failure
from triage_site.api.tokens import api_token_authenticate
from triage_site.models import ApiToken


class BearerToken(HttpBearer):
    """Sets ``request.auth`` to the ``ApiToken`` (its ``user`` is the client); anything else is a 401.

    Ninja runs it in a worker thread for async views, so the database lookup is safe there too.
    It reads the header itself rather than through ``HttpBearer.__call__``, which logs the whole
    header (a token, or a password) when the scheme is not Bearer and DEBUG is on.
    """

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        wait_s = auth_failure_wait_s(request)
        if wait_s is not None:
            raise TooManyFailures(wait_s)
        scheme, _, credentials = request.headers.get(self.header, "").partition(" ")
        token = self.authenticate(request, credentials) if scheme.lower() == self.openapi_scheme else None
        if token is None:
            note_auth_failure(request)
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return api_token_authenticate(token.strip())
