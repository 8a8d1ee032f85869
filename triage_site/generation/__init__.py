"""Where calls are generated: one backend object, chosen once by name (``TRIAGE_GENERATION``),
the way Django chooses an email backend.

- ``embedded``: this process's engine thread (the default: nothing to install or start);
- ``fleet``: GPU workers behind RabbitMQ priority queues (``BROKER_URL``);
- ``off``: calls are rated, never answered.

Every backend rates a call here, at intake, before handing it on: the urgency and predicted
length travel with the call wherever it goes next.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from triage_site.generation.base import GenerationBackend

BACKENDS = {
    "embedded": "triage_site.generation.embedded.EmbeddedGeneration",
    "fleet": "triage_site.generation.fleet.FleetGeneration",
    "off": "triage_site.generation.base.NoGeneration",
}


def get_generation_backend() -> GenerationBackend:
    """The backend ``settings.TRIAGE_GENERATION`` names (backends keep no state: made per use)."""
    name = settings.TRIAGE_GENERATION
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"TRIAGE_GENERATION must be one of {', '.join(BACKENDS)}, got {name!r}.")
    return import_string(BACKENDS[name])()
