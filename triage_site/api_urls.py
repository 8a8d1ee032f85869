"""The two APIs, both behind ``Authorization: Bearer <token>``:

- ``api/``: the JSON API for calls (django-ninja; schema at ``api/openapi.json``, docs at ``api/docs``);
- ``v1/``: OpenAI-compatible chat completions and models (errors in OpenAI's shape; ``v1/docs``).
"""

from __future__ import annotations

from django.urls import path
from ninja import NinjaAPI

from triage_site.api.auth import BearerToken
from triage_site.api.calls import use_api_errors
from triage_site.api.calls import router as calls_router
from triage_site.api.openai_compat import router as openai_router
from triage_site.api.openai_compat import use_openai_errors

calls_api = NinjaAPI(title="Emergency triage API", version="1", urls_namespace="api", auth=BearerToken(),
                     description="Calls: create them, read their urgency, status and response, list them.")
use_api_errors(calls_api)
calls_api.add_router("/", calls_router)

openai_api = NinjaAPI(title="OpenAI-compatible API", version="1", urls_namespace="openai",
                      auth=BearerToken(),
                      description="POST /v1/chat/completions (streaming or not) and GET /v1/models, "
                                  "served by the triage engine; every completion is also a call.")
use_openai_errors(openai_api)
openai_api.add_router("/", openai_router)

urlpatterns = [
    path("api/", calls_api.urls),
    path("v1/", openai_api.urls),
]
