"""Top-level URL configuration. Every page and API needs a signed-in user or an API token."""

from __future__ import annotations

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from triage_site.views.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),  # browsers ask for it
    path("", include("triage_site.views.urls")),  # dispatcher dashboard and call pages
    path("scenarios/", include("triage_site.views.scenario_urls")),  # scenario results
    path("", include("triage_site.api_urls")),  # JSON API (api/) and OpenAI-compatible (v1/)
]
