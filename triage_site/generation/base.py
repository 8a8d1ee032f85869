"""The generation backend interface, and the backend that generates nothing."""

from __future__ import annotations

from triage_site.models import Call, CallStatus
from triage_site.services.classification import call_classify


class GenerationBackend:
    """Hands rated calls to an engine. Methods run after the triggering write has committed."""

    name = "base"
    generates = True
    """False when calls are rated but never answered (the OpenAI endpoint then answers 503)."""

    def dispatch(self, *, call_id: int) -> Call:
        """A new call was stored: rate it here, then hand it to an engine. Returns the call."""
        call = call_classify(call_id=call_id)
        if call.status == CallStatus.CLASSIFIED:
            self.generate(call)
        return call

    def generate(self, call: Call) -> None:
        """Hand a rated call to an engine."""
        raise NotImplementedError

    def reprioritise(self, *, call_id: int, priority: int) -> None:
        """A dispatcher changed the call's urgency: re-rank it wherever it waits or runs."""

    def start_server(self) -> None:
        """The web server is starting (ASGI): whatever must run beside it."""

    def warm_up(self) -> None:
        """Load what the first call would otherwise wait for (scenarios call it before their clock)."""

    def note(self) -> str:
        """What an operator should know about where calls are answered ('' if nothing)."""
        return ""

    def service_status(self) -> dict[str, object]:
        """What the dashboard warns about: {"alerts": [sentences]} (none while all is well)."""
        return {"alerts": []}


class NoGeneration(GenerationBackend):
    """Calls are rated and stored; nothing answers them."""

    name = "off"
    generates = False

    def generate(self, call: Call) -> None:
        pass

    def note(self) -> str:
        return "TRIAGE_GENERATION is 'off': the calls are classified, no engine answers them."
