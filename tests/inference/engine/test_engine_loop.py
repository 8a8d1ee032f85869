"""The engine on its own thread: futures, listener order, policy order, overrides, failures."""

from __future__ import annotations

import threading

import pytest

from inference.engine import Engine
from inference.engine.engine_loop import EngineLoop, EngineLoopStopped, GenerationJob
from scheduling.plan import BatchLimits

TIMEOUT_S = 30


class RecordingListener:
    def __init__(self, fail_on_finish_of=None) -> None:
        self.events: list[tuple] = []
        self.fail_on_finish_of = fail_on_finish_of
        self.lock = threading.Lock()

    def _add(self, *event) -> None:
        with self.lock:
            self.events.append(event)

    def on_started(self, key) -> None:
        self._add("started", key)

    def on_tokens(self, deltas) -> None:
        for key, text in deltas:
            self._add("tokens", key, text)

    def on_finished(self, result) -> None:
        if result.key == self.fail_on_finish_of:
            raise RuntimeError("database down")
        self._add("finished", result.key)

    def on_failed(self, key, error) -> None:
        self._add("failed", key, type(error).__name__)

    def on_step(self, record, snapshot) -> None:
        self._add("step", record.batch_size, sum(snapshot.num_waiting_per_level))

    def order_of(self, kind: str) -> list:
        return [event[1] for event in self.events if event[0] == kind]


def make_loop(model, listener, max_num_seqs=1, kv_capacity_tokens=512) -> EngineLoop:
    engine = Engine(model, None, "semantic", BatchLimits(max_num_seqs, 64), kv_capacity_tokens)
    return EngineLoop(engine, listener, idle_wait_s=0.01)


def test_jobs_resolve_to_the_greedy_output_after_the_listener_heard_them(model, make_prompts, greedy):
    listener = RecordingListener()
    loop = make_loop(model, listener, max_num_seqs=4).start()
    prompts = make_prompts([9, 12, 7])
    try:
        futures = [loop.submit(GenerationJob(f"call-{i}", prompt, priority=i, max_new_tokens=6))
                   for i, prompt in enumerate(prompts)]
        results = [future.result(TIMEOUT_S) for future in futures]
    finally:
        loop.stop(TIMEOUT_S)
    for i, (prompt, result) in enumerate(zip(prompts, results)):
        assert result.key == f"call-{i}"
        assert list(result.output_token_ids) == greedy(prompt, 6)
        assert result.record.num_output_tokens == 6 and result.record.latency_s > 0
        assert listener.events.index(("started", result.key)) < listener.events.index(("finished", result.key))
    assert loop.num_in_flight() == 0 and loop.engine.requests == {}  # nothing kept after finishing


def test_the_policy_not_the_submission_order_decides(model, make_prompts):
    listener = RecordingListener()
    loop = make_loop(model, listener)  # one seat: jobs run one at a time
    prompts = make_prompts([8, 8, 8, 8])
    futures = [loop.submit(GenerationJob(key, prompt, priority=priority, max_new_tokens=4))
               for (key, priority), prompt in zip([("a", 4), ("b", 3), ("c", 4), ("urgent", 0)], prompts)]
    loop.start()
    try:
        for future in futures:
            future.result(TIMEOUT_S)
    finally:
        loop.stop(TIMEOUT_S)
    assert listener.order_of("finished") == ["urgent", "b", "a", "c"]


def test_an_override_re_ranks_a_waiting_job(model, make_prompts):
    listener = RecordingListener()
    loop = make_loop(model, listener)
    prompts = make_prompts([8, 8, 8])
    futures = [loop.submit(GenerationJob(key, prompt, priority=3, max_new_tokens=4))
               for key, prompt in zip("xyz", prompts)]
    assert loop.reprioritise("z", 0)
    assert not loop.reprioritise("unknown", 0)
    loop.start()
    try:
        for future in futures:
            future.result(TIMEOUT_S)
    finally:
        loop.stop(TIMEOUT_S)
    assert listener.order_of("finished") == ["z", "x", "y"]


def test_a_key_in_flight_is_joined_not_repeated(model, make_prompts):
    loop = make_loop(model, RecordingListener())
    prompt = make_prompts([8])[0]
    first = loop.submit(GenerationJob("same", prompt, priority=2, max_new_tokens=3))
    again = loop.submit(GenerationJob("same", prompt, priority=2, max_new_tokens=3))
    assert again is first and loop.future_of("same") is first
    loop.start()
    try:
        first.result(TIMEOUT_S)
    finally:
        loop.stop(TIMEOUT_S)
    assert loop.future_of("same") is None


def test_a_listener_that_cannot_store_fails_only_that_job(model, make_prompts):
    loop = make_loop(model, RecordingListener(fail_on_finish_of="lost"), max_num_seqs=2).start()
    prompts = make_prompts([8, 8])
    try:
        lost = loop.submit(GenerationJob("lost", prompts[0], priority=1, max_new_tokens=3))
        kept = loop.submit(GenerationJob("kept", prompts[1], priority=1, max_new_tokens=3))
        with pytest.raises(RuntimeError, match="database down"):
            lost.result(TIMEOUT_S)  # the waiter must not think the result was stored
        assert kept.result(TIMEOUT_S).key == "kept"
    finally:
        loop.stop(TIMEOUT_S)


def test_a_job_the_kv_budget_cannot_hold_fails_with_the_reason(model, make_prompts):
    listener = RecordingListener()
    loop = make_loop(model, listener, kv_capacity_tokens=32).start()
    try:
        future = loop.submit(GenerationJob("huge", make_prompts([40])[0], priority=0, max_new_tokens=4))
        with pytest.raises(ValueError, match="KV cache"):
            future.result(TIMEOUT_S)
    finally:
        loop.stop(TIMEOUT_S)
    assert ("failed", "huge", "ValueError") in listener.events


def test_an_engine_error_fails_every_job_and_stops_the_loop(model, make_prompts):
    listener = RecordingListener()
    loop = make_loop(model, listener, max_num_seqs=2)

    def broken_run(plan):
        raise RuntimeError("CUDA error: device lost")

    loop.engine.executor.run = broken_run
    futures = [loop.submit(GenerationJob(key, prompt, priority=2, max_new_tokens=3))
               for key, prompt in zip("ab", make_prompts([8, 8]))]
    loop.start()
    for future in futures:
        with pytest.raises(RuntimeError, match="device lost"):
            future.result(TIMEOUT_S)
    loop.stop(TIMEOUT_S)
    assert sorted(listener.order_of("failed")) == ["a", "b"]
    with pytest.raises(EngineLoopStopped):
        loop.submit(GenerationJob("late", make_prompts([8])[0], priority=0, max_new_tokens=2))


def test_an_idle_loop_sends_heartbeats(model):
    class Heartbeats(RecordingListener):
        def on_idle(self, snapshot) -> None:
            self._add("idle", snapshot.num_kv_blocks_used)

    listener = Heartbeats()
    loop = make_loop(model, listener).start()
    try:
        deadline = threading.Event()
        deadline.wait(0.2)
    finally:
        loop.stop(TIMEOUT_S)
    assert ("idle", 0) in listener.events
