"""The process's one engine: built once, fed calls, heard by a listener that stores and publishes.

A GPU worker and the embedded web process both host it the same way; only who calls
``submit_call`` differs (a Celery task that waits for the result before acknowledging, or the
web process itself after classifying). The engine loop's thread writes to the database through
the services and publishes live events; it never logs call text.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Hashable
from concurrent.futures import Future
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from inference.engine import Engine, QueueSnapshot, StepRecord
from inference.engine.policy_profiles import device_profile, engine_policy
from inference.engine.engine_loop import EngineLoop, GenerationJob, GenerationResult
from inference.prompts import call_messages, render_chat
from scheduling.plan import BatchLimits
from triage_site import live
from triage_site.cards import cards_of
from triage_site.models import Call, CallStatus
from triage_site.services.classification import call_classify, call_fail
from triage_site.services.generation import (call_complete, call_mark_generating, call_queue,
                                             engine_worker_heartbeat, engine_worker_is_alive)

logger = logging.getLogger(__name__)


class CallListener:
    """Hears the engine loop (on its thread): stores each change, then tells the dashboard."""

    def __init__(self, engine_info: dict[str, str], heartbeat: StoredHeartbeat | None = None) -> None:
        self.engine_info = engine_info
        self.heartbeat = heartbeat
        self._window_start_s: float | None = None  # of the tokens counted since the last event
        self._tokens_since_event = 0
        self._last_heartbeat_s = 0.0

    def on_started(self, key: Hashable) -> None:
        with _db():
            if call_mark_generating(call_id=key):
                live.publish_call(Call.objects.get(pk=key))

    def on_tokens(self, deltas: list[tuple[Hashable, str]]) -> None:
        live.publish({"kind": "tokens", "deltas": [{"call_id": key, "text": text} for key, text in deltas]})
        for key, text in deltas:
            live.publish({"kind": "tokens", "deltas": [{"call_id": key, "text": text}]},
                         call_id=key, dashboard=False)

    def on_finished(self, result: GenerationResult) -> None:
        with _db():
            call_complete(call_id=result.key, result=result)
            live.publish_call(Call.objects.get(pk=result.key))

    def on_failed(self, key: Hashable, error: BaseException) -> None:
        with _db():
            call = call_fail(call_id=key, reason=f"generation failed: {type(error).__name__}: {error}")
            live.publish_call(call)

    def on_step(self, record: StepRecord, snapshot: QueueSnapshot) -> None:
        now = time.monotonic()
        if self.heartbeat is not None:
            self.heartbeat.beat(snapshot, now)
        if self._window_start_s is None:  # busy again: the idle time is no part of the rate
            self._window_start_s = now - record.step_s - record.scheduler_s
        self._tokens_since_event += record.num_output_tokens
        elapsed = now - self._window_start_s
        # Throttled while busy, but the step that empties the engine always reports: idle
        # engines send nothing, and the dashboard would keep showing the last queue.
        idle = not any(snapshot.num_waiting_per_level) and not any(snapshot.num_running_per_level)
        if elapsed < live.ENGINE_EVENT_INTERVAL_S and not idle:
            return
        live.publish(engine_event(self.engine_info, snapshot, record,
                                  tokens_per_s=self._tokens_since_event / max(elapsed, 1e-3)))
        self._window_start_s = None if idle else now
        self._tokens_since_event = 0


    def on_idle(self, snapshot: QueueSnapshot) -> None:
        """A heartbeat while idle, so the dashboard counts this worker as online."""
        now = time.monotonic()
        if self.heartbeat is not None:
            self.heartbeat.beat(snapshot, now)
        if now - self._last_heartbeat_s >= HEARTBEAT_INTERVAL_S:
            self._last_heartbeat_s = now
            live.publish(engine_event(self.engine_info, snapshot, None, tokens_per_s=0.0))



class StoredHeartbeat:
    """The engine's heartbeat in the database: other workers read it to tell a live engine from a
    dead one, and the dashboard's fleet panel shows what each engine holds."""

    def __init__(self, name: str, num_seats: int) -> None:
        self.name = name
        self.num_seats = num_seats
        self._last_s = float("-inf")

    def beat(self, snapshot: QueueSnapshot, now: float) -> None:
        if now - self._last_s < settings.TRIAGE_FLEET_HEARTBEAT_S:
            return
        self._last_s = now
        with _db():
            engine_worker_heartbeat(name=self.name, num_seats=self.num_seats,
                                    waiting_per_level=list(snapshot.num_waiting_per_level),
                                    running_per_level=list(snapshot.num_running_per_level))


HEARTBEAT_INTERVAL_S = 3.0


def engine_event(info: dict[str, str], snapshot: QueueSnapshot, record: StepRecord | None,
                 tokens_per_s: float) -> dict:
    return {
        "kind": "engine", **info, "time": time.time(),
        "waiting": list(snapshot.num_waiting_per_level),
        "running": list(snapshot.num_running_per_level),
        "kv_blocks_used": snapshot.num_kv_blocks_used, "kv_blocks": snapshot.num_kv_blocks,
        "batch_size": record.batch_size if record else 0,
        "tokens_per_s": round(tokens_per_s, 1),
    }


class _db:
    """Engine-thread database access: drop a connection the server closed meanwhile."""

    def __enter__(self) -> None:
        close_old_connections()

    def __exit__(self, *exc) -> None:
        close_old_connections()


_loading = threading.Lock()
_submitting = threading.Lock()


class _EngineSlot:
    """The process's one engine loop, and how many times it had to be started again."""

    loop: EngineLoop | None = None
    num_restarts = 0


_slot = _EngineSlot()


def get_engine_loop() -> EngineLoop:
    """Load the model and start the engine loop: once per process, on first use; again (over
    the loaded model) if an engine error stopped it, so one bad step never stops the service.

    Locked: the first calls can race (a task thread, the recovery thread), and loading a
    transformers model in two threads at once is not safe.
    """
    with _loading:
        if _slot.loop is not None and not _slot.loop.is_running:
            _slot.num_restarts += 1
            logger.error("engine loop had stopped (%s); starting a new one (restart %s)",
                         type(_slot.loop.error).__name__, _slot.num_restarts)
            _slot.loop = None
        if _slot.loop is None:
            _slot.loop = _start_engine_loop()
        return _slot.loop


def engine_health() -> dict[str, object]:
    """For /healthz: is this process's engine running (None: none started here)?"""
    loop = _slot.loop
    return {"running": None if loop is None else loop.is_running, "restarts": _slot.num_restarts}


@lru_cache(maxsize=1)
def _load_model():
    from inference.model_store import load_causal_lm, pick_device

    device = pick_device(settings.TRIAGE_ENGINE_DEVICE)
    model, tokenizer = load_causal_lm(Path(settings.TRIAGE_LM_DIR), device)
    return model, tokenizer, device


def _start_engine_loop() -> EngineLoop:
    model, tokenizer, device = _load_model()
    policy = engine_policy(settings.TRIAGE_ENGINE_POLICY, device_profile(device))
    engine = Engine(model, tokenizer, policy,
                    BatchLimits(settings.TRIAGE_ENGINE_MAX_NUM_SEQS,
                                settings.TRIAGE_ENGINE_MAX_NUM_BATCHED_TOKENS),
                    settings.TRIAGE_ENGINE_KV_CAPACITY_TOKENS, device=device)
    info = {"worker": engine_name(), "policy": engine.policy.name, "seats": settings.TRIAGE_ENGINE_MAX_NUM_SEQS,
            "model": Path(settings.TRIAGE_LM_DIR).name, "device": str(device)}
    logger.info("engine ready: policy %s, model %s, device %s", info["policy"], info["model"], device)
    heartbeat = StoredHeartbeat(info["worker"], settings.TRIAGE_ENGINE_MAX_NUM_SEQS)
    return EngineLoop(engine, CallListener(info, heartbeat)).start()


def engine_name() -> str:
    """This process's engine as other processes see it (calls, heartbeats, the dashboard)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def submit_call(call_id: int, dispatch_number: int | None = None) -> Future | None:
    """Hand a classified call to this process's engine; the future resolves once it is stored.

    None when the call has nothing left to generate (or, with ``dispatch_number``, was re-sent
    since). A call already in this engine keeps its place (a redelivered task joins it).
    """
    loop = get_engine_loop()
    with _submitting:  # so two threads cannot both queue the call: one joins the other
        in_flight = loop.future_of(call_id)
        if in_flight is not None:
            return in_flight
        call = call_queue(call_id=call_id, engine_worker=engine_name(), dispatch_number=dispatch_number)
        if call is None:
            return None
        messages = call.chat_messages or call_messages(call.text, call.priority, cards_of(call.cards)[0])
        future = loop.submit(GenerationJob(
            call.pk, render_chat(loop.engine.tokenizer, messages), call.priority,
            call.max_new_tokens or settings.TRIAGE_ENGINE_MAX_NEW_TOKENS, call.predicted_output_tokens))
    live.publish_call(call)
    return future


def serve_call(call_id: int, dispatch_number: int | None) -> str:
    """A GPU worker's task: generate the call here unless that is done, superseded, or being done.

    Returns the call's status once it is stored (or why there was nothing to do). A call another
    live engine holds (its message came back after a broker restart, say) is waited for, not
    generated twice; if that engine falls silent, this one takes the call over.
    """
    silence_s = settings.TRIAGE_FLEET_ENGINE_SILENCE_S
    while True:
        with _db():
            try:
                call = call_classify(call_id=call_id)  # normally rated at intake; this covers old messages
            except Call.DoesNotExist:
                # Sent only after the call's row was committed, so it was deleted since: nothing to
                # generate, and retrying would hold a worker thread for a call that cannot return.
                logger.warning("call %s no longer exists: its message is dropped", call_id)
                return "missing"
        if call.status in (CallStatus.DONE, CallStatus.FAILED):
            return call.status
        if dispatch_number is not None and call.dispatch_number != dispatch_number:
            return "superseded"
        held_elsewhere = (call.status in (CallStatus.QUEUED, CallStatus.GENERATING)
                          and call.engine_worker not in ("", engine_name())
                          and get_engine_loop().future_of(call_id) is None)
        if held_elsewhere and engine_worker_is_alive(name=call.engine_worker, silence_s=silence_s):
            time.sleep(1.0)
            continue
        future = submit_call(call_id, dispatch_number)
        if future is not None:
            try:
                future.result()
            except Exception:  # noqa: BLE001 - the listener stored the failure on the call
                pass
        call.refresh_from_db()
        return call.status


def engine_loop_started() -> bool:
    return _slot.loop is not None


def forget_engine_loop() -> None:
    """Stop this process's engine and forget it and its model (tests switch models)."""
    with _loading:
        if _slot.loop is not None:
            _slot.loop.stop(10)
        _slot.loop, _slot.num_restarts = None, 0
        _load_model.cache_clear()
    _recovery_started.clear()


def reprioritise_in_engine(call_id: int, priority: int) -> bool:
    """Re-rank the call if this process's engine (already started) holds it."""
    if not engine_loop_started():
        return False
    return get_engine_loop().reprioritise(call_id, priority)


def resubmit_unfinished_calls() -> int:
    """Embedded mode, at start: calls a previous process left unfinished go to this engine.

    (With Celery the broker redelivers unacknowledged calls instead.)
    """
    unfinished = list(Call.objects.filter(status__in=(
        CallStatus.RECEIVED, CallStatus.CLASSIFIED, CallStatus.QUEUED, CallStatus.GENERATING,
    )).order_by("received_at").values_list("pk", flat=True))
    for call_id in unfinished:
        if call_classify(call_id=call_id).status != CallStatus.FAILED:
            submit_call(call_id)
    if unfinished:
        logger.info("resubmitted %s unfinished calls", len(unfinished))
    return len(unfinished)


_recovery_started = threading.Event()


def start_in_process_engine() -> None:
    """Embedded mode, when the web server starts: load the engine and recover left-over calls,
    in the background. (Only the server does this: a command that creates calls, such as
    ``run_scenario``, must not claim the calls of a server that is running.)"""
    if _recovery_started.is_set():
        return
    _recovery_started.set()

    def recover() -> None:
        get_engine_loop()  # load the model now, not inside the first caller's wait
        with _db():
            resubmit_unfinished_calls()

    threading.Thread(target=recover, name="engine-recovery", daemon=True).start()
