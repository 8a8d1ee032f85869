"""A long-lived ``Engine`` on its own thread: other threads submit jobs and get futures.

A serving process (a Celery GPU worker, or the web process in the embedded set-up) keeps one
of these. Submitting never blocks on the model; the loop admits new jobs between iterations,
so the scheduling policy, not the order jobs were submitted in, decides what runs.

A ``listener`` hears what happens, on the loop's thread, in order: a job started (first
scheduled), the text each step added, a job finished (``on_finished`` runs *before* the job's
future resolves, so whoever waits on the future knows the result is already stored), and after
each iteration the step record and a queue snapshot. Listener errors are logged and fail only
the job concerned; an engine error fails every job in flight and stops the loop, because the
engine's state can no longer be trusted.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from inference.engine.engine import Engine
from inference.engine.records import QueueSnapshot, RequestRecord, StepRecord
from inference.engine.streaming import TokenEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GenerationJob:
    key: Hashable
    """The submitter's id for the job (a call id); submitting a key in flight joins it."""
    prompt: str | Sequence[int]
    priority: int
    max_new_tokens: int
    predicted_output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class GenerationResult:
    key: Hashable
    text: str
    output_token_ids: tuple[int, ...]
    record: RequestRecord


class EngineListener(Protocol):
    def on_started(self, key: Hashable) -> None: ...

    def on_tokens(self, deltas: list[tuple[Hashable, str]]) -> None: ...

    def on_finished(self, result: GenerationResult) -> None: ...

    def on_failed(self, key: Hashable, error: BaseException) -> None: ...

    def on_step(self, record: StepRecord, snapshot: QueueSnapshot) -> None: ...

    def on_idle(self, snapshot: QueueSnapshot) -> None:
        """Called about every ``idle_wait_s`` while there is nothing to run (a heartbeat)."""


class SilentListener:
    """Hears nothing: for callers that only want the futures."""

    def on_started(self, key: Hashable) -> None: ...

    def on_tokens(self, deltas: list[tuple[Hashable, str]]) -> None: ...

    def on_finished(self, result: GenerationResult) -> None: ...

    def on_failed(self, key: Hashable, error: BaseException) -> None: ...

    def on_step(self, record: StepRecord, snapshot: QueueSnapshot) -> None: ...

    def on_idle(self, snapshot: QueueSnapshot) -> None: ...


@dataclass(slots=True)
class _InFlight:
    job: GenerationJob
    future: Future
    request_id: int | None = None
    deltas: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Reprioritise:
    key: Hashable
    priority: int


class EngineLoopStopped(RuntimeError):
    """The loop is not running (stopped, or broken by an engine error)."""


class EngineLoop:
    """Runs ``engine`` on a daemon thread until ``stop``; thread-safe ``submit``."""

    def __init__(self, engine: Engine, listener: EngineListener | None = None,
                 idle_wait_s: float = 0.5) -> None:
        self.engine = engine
        self.listener = listener or SilentListener()
        self.idle_wait_s = idle_wait_s
        self._inbox: queue.SimpleQueue[_InFlight | _Reprioritise | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._in_flight: dict[Hashable, _InFlight] = {}  # by job key; guarded by _lock
        self._by_request_id: dict[int, _InFlight] = {}  # loop thread only
        self._with_deltas: list[_InFlight] = []  # loop thread only: text not yet handed on
        self._thread = threading.Thread(target=self._run, name="engine-loop", daemon=True)
        self._stopping = False
        self.error: BaseException | None = None

    # -- any thread ---------------------------------------------------------------------

    def start(self) -> EngineLoop:
        self._thread.start()
        return self

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive() and not self._stopping

    def submit(self, job: GenerationJob) -> Future:
        """Queue ``job`` (also before ``start``); its future resolves to a ``GenerationResult``
        once the listener has handled it. A job whose key is in flight gets that job's future."""
        with self._lock:
            if self._stopping:
                raise EngineLoopStopped("the engine loop is not running") from self.error
            existing = self._in_flight.get(job.key)
            if existing is not None:
                return existing.future
            entry = _InFlight(job, Future())
            self._in_flight[job.key] = entry
        self._inbox.put(entry)
        return entry.future

    def future_of(self, key: Hashable) -> Future | None:
        """The future of job ``key`` if it is in flight, else None."""
        with self._lock:
            entry = self._in_flight.get(key)
        return entry.future if entry is not None else None

    def reprioritise(self, key: Hashable, priority: int) -> bool:
        """Re-rank the job ``key`` if it is in flight here; False when it is not."""
        with self._lock:
            if key not in self._in_flight:
                return False
        self._inbox.put(_Reprioritise(key, priority))
        return True

    def num_in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def stop(self, timeout_s: float | None = None) -> None:
        """Finish the current iteration, fail the jobs still in flight, end the thread."""
        self._stopping = True
        self._inbox.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    # -- the loop thread ----------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping:
                self._take_inbox(block=not self.engine.has_work)
                if self._stopping:
                    break
                if self.engine.has_work:
                    self._step()
                elif self._inbox.empty():
                    self._notify("on_idle", self.engine.queue_snapshot())
        except Exception as exc:  # noqa: BLE001 - the engine's state is unknown: fail everything
            logger.exception("engine loop stopped by an engine error")
            self.error = exc
        finally:
            self._stopping = True
            self._fail_all(self.error or EngineLoopStopped("the engine loop was stopped"))

    def _take_inbox(self, block: bool) -> None:
        try:
            item = self._inbox.get(timeout=self.idle_wait_s) if block else self._inbox.get_nowait()
        except queue.Empty:
            return
        while True:
            if item is None:
                return
            if isinstance(item, _Reprioritise):
                self._reprioritise(item)
            else:
                self._admit(item)
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return

    def _admit(self, entry: _InFlight) -> None:
        job = entry.job
        try:
            engine_request = self.engine.add_request(
                job.prompt, priority=job.priority, max_new_tokens=job.max_new_tokens,
                predicted_output_tokens=job.predicted_output_tokens,
                on_token=lambda event, entry=entry: self._collect(entry, event))
        except Exception as exc:  # noqa: BLE001 - a bad job (a prompt the tokenizer refuses, or the
            self._fail(entry, exc)  # KV budget can never hold) fails alone; the loop goes on
            return
        entry.request_id = engine_request.request_id
        self._by_request_id[engine_request.request_id] = entry

    def _reprioritise(self, command: _Reprioritise) -> None:
        with self._lock:
            entry = self._in_flight.get(command.key)
        if entry is None or entry.request_id is None:
            return  # finished (or failed) meanwhile: nothing left to re-rank
        try:
            self.engine.reprioritise(entry.request_id, command.priority)
        except (KeyError, ValueError) as exc:
            logger.warning("job %s: reprioritise refused: %s", command.key, exc)

    def _collect(self, entry: _InFlight, event: TokenEvent) -> None:
        if event.text:
            if not entry.deltas:
                self._with_deltas.append(entry)
            entry.deltas.append(event.text)

    def _step(self) -> None:
        record = self.engine.step()
        if record is None:
            return
        for request_id in record.started_ids:
            self._notify("on_started", self._by_request_id[request_id].job.key)
        if self._with_deltas:
            deltas = [(entry.job.key, "".join(entry.deltas)) for entry in self._with_deltas]
            for entry in self._with_deltas:
                entry.deltas.clear()
            self._with_deltas.clear()
            self._notify("on_tokens", deltas)
        for request_id in record.finished_ids:
            self._finish(self._by_request_id[request_id])
        self._notify("on_step", record, self.engine.queue_snapshot())

    def _finish(self, entry: _InFlight) -> None:
        assert entry.request_id is not None
        engine_request = self.engine.forget(entry.request_id)
        del self._by_request_id[entry.request_id]
        result = GenerationResult(entry.job.key, engine_request.text,
                                  tuple(engine_request.output_token_ids), engine_request.record())
        try:
            self.listener.on_finished(result)
        except Exception as exc:  # noqa: BLE001 - not stored: the waiter must not think it was
            logger.exception("job %s: listener failed on finish", entry.job.key)
            self._fail(entry, exc, notify=False)
            return
        with self._lock:
            self._in_flight.pop(entry.job.key, None)
        entry.future.set_result(result)

    def _fail(self, entry: _InFlight, error: BaseException, notify: bool = True) -> None:
        with self._lock:
            self._in_flight.pop(entry.job.key, None)
        if notify:
            self._notify("on_failed", entry.job.key, error)
        if not entry.future.done():
            entry.future.set_exception(error)

    def _fail_all(self, error: BaseException) -> None:
        with self._lock:
            entries = list(self._in_flight.values())
        while True:  # jobs submitted but never admitted are in the inbox, and in _in_flight
            try:
                self._inbox.get_nowait()
            except queue.Empty:
                break
        for entry in entries:
            self._fail(entry, error)

    def _notify(self, method: str, *args) -> None:
        try:
            getattr(self.listener, method)(*args)
        except Exception:  # noqa: BLE001 - a dashboard hiccup must not stop generation
            logger.exception("engine listener %s failed", method)
