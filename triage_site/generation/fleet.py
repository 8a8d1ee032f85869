"""GPU workers behind RabbitMQ: calls are rated here, then wait in the broker in semantic order."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

from triage_site.generation.base import GenerationBackend
from triage_site.models import Call

logger = logging.getLogger(__name__)

STRANDED_SWEEP_S = 10.0
"""How often the web server re-sends calls the broker never took (it was down)."""


class FleetGeneration(GenerationBackend):
    name = "fleet"

    def generate(self, call: Call) -> None:
        from triage_site.services.fleet import call_send_to_broker

        call_send_to_broker(call=call)

    def reprioritise(self, *, call_id: int, priority: int) -> None:
        from triage_site.celery import app
        from triage_site.services.fleet import call_rerank_in_broker

        if not call_rerank_in_broker(call_id=call_id):  # an engine has it: tell every worker
            app.control.broadcast("reprioritise_call", arguments={"call_id": call_id, "priority": priority})

    def start_server(self) -> None:
        _start_stranded_sweeper()

    def service_status(self) -> dict[str, object]:
        """The broker answering, and engines with a recent heartbeat; a sentence for each outage."""
        from triage_site.services.fleet import broker_reachable
        from triage_site.services.generation import engine_workers_alive

        alerts = []
        broker_up = broker_reachable()
        if not broker_up:
            alerts.append("The broker (RabbitMQ) is not answering: new calls are stored and rated, "
                          "and are sent to the GPU workers when it is back.")
        silence_s = settings.TRIAGE_FLEET_ENGINE_SILENCE_S
        engines = engine_workers_alive(silence_s=silence_s)
        if not engines:
            alerts.append(f"No GPU worker has reported in the last {silence_s:g} s: "
                          "calls wait until one is running.")
        return {"alerts": alerts, "broker_up": broker_up, "engines_alive": engines}

    def note(self) -> str:
        return ("Calls went to the GPU workers, which schedule with their own TRIAGE_ENGINE_POLICY "
                "(the policy shown is this process's setting).")


_sweeper_started = threading.Event()


def _start_stranded_sweeper() -> None:
    """One thread per web server: calls accepted while the broker was down are sent when it returns."""
    if _sweeper_started.is_set():
        return
    _sweeper_started.set()

    def sweep_forever() -> None:
        from django.db import close_old_connections

        from triage_site import live
        from triage_site.services.fleet import calls_send_stranded

        while True:
            time.sleep(STRANDED_SWEEP_S)
            close_old_connections()
            try:
                calls_send_stranded(older_than_s=STRANDED_SWEEP_S)
                live.publish({"kind": "status", **FleetGeneration().service_status()})
            except Exception:  # noqa: BLE001 - the sweeper must outlive a database or broker outage
                logger.exception("stranded-call sweep failed; retrying in %s s", STRANDED_SWEEP_S)
            close_old_connections()

    threading.Thread(target=sweep_forever, name="fleet-stranded-sweeper", daemon=True).start()
    logger.info("fleet: re-sending stranded calls every %s s (queue %s, urgent %s)", STRANDED_SWEEP_S,
                settings.TRIAGE_FLEET_QUEUE, settings.TRIAGE_FLEET_URGENT_QUEUE)
