"""ASGI entry point: plain Django for HTTP, Channels for WebSockets."""

from __future__ import annotations

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "triage_site.settings.local")

# Set up Django (and its app registry) before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402


from triage_site import live  # noqa: E402
from triage_site.generation import get_generation_backend  # noqa: E402
from triage_site.routing import websocket_urlpatterns  # noqa: E402


class RememberConsumerLoop:
    """Notes the server's event loop, so worker threads can reach the in-memory channel layer."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        live.remember_consumer_loop(asyncio.get_running_loop())
        return await self.app(scope, receive, send)


application = RememberConsumerLoop(ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
))

# Whatever generation needs beside the server: embedded, the engine (loaded now, in the background,
# picking up calls a previous run left unfinished); fleet, the sweeper of calls the broker missed.
get_generation_backend().start_server()
