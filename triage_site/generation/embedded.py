"""The embedded default: this process's engine thread generates every call."""

from __future__ import annotations

from triage_site.generation.base import GenerationBackend
from triage_site.models import Call


class EmbeddedGeneration(GenerationBackend):
    name = "embedded"

    def generate(self, call: Call) -> None:
        from triage_site.engine_host import submit_call  # loads torch: only where an engine runs

        submit_call(call.pk)  # loads the engine on first use

    def reprioritise(self, *, call_id: int, priority: int) -> None:
        from triage_site.engine_host import reprioritise_in_engine

        reprioritise_in_engine(call_id, priority)

    def start_server(self) -> None:
        from triage_site.engine_host import start_in_process_engine

        start_in_process_engine()

    def warm_up(self) -> None:
        from triage_site.engine_host import get_engine_loop
        from triage_site.triage import get_classifier

        get_classifier()
        get_engine_loop()
