"""Engine events as the dashboard needs them: throttled while busy, one when the engine empties,
and a throughput that does not count the idle time before a burst."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from inference.engine import QueueSnapshot, StepRecord
from triage_site import engine_host, live

INFO = {"worker": "host:1", "policy": "semantic", "model": "m", "device": "cpu"}
BUSY = QueueSnapshot((1, 0, 0, 0, 0), (0, 2, 0, 0, 0), 10, 100)
IDLE = QueueSnapshot((0,) * 5, (0,) * 5, 0, 100)


def step(num_output_tokens: int, step_s: float = 0.125) -> StepRecord:
    return StepRecord(time_s=0.0, batch_size=2, num_prefill_tokens=0, num_decode_tokens=num_output_tokens,
                      num_kv_blocks_used=10, num_kv_blocks=100, step_s=step_s, scheduler_s=0.0,
                      num_preempted=0, num_finished=0, num_waiting=1, num_output_tokens=num_output_tokens)


@pytest.fixture
def clock(monkeypatch):
    now = SimpleNamespace(s=1000.0)
    monkeypatch.setattr(engine_host, "time", SimpleNamespace(monotonic=lambda: now.s, time=lambda: now.s))
    return now


@pytest.fixture
def published(monkeypatch):
    events: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda event, **kwargs: events.append(event))
    return events


def test_busy_steps_are_reported_at_most_every_interval_and_the_last_one_always(clock, published):
    listener = engine_host.CallListener(INFO)
    for _ in range(3):  # 0.375 s of steps: under the interval
        clock.s += 0.125
        listener.on_step(step(2), BUSY)
    assert published == []
    clock.s += 0.125
    listener.on_step(step(2), BUSY)
    assert len(published) == 1 and published[0]["running"] == [0, 2, 0, 0, 0]
    assert published[0]["tokens_per_s"] == pytest.approx(16.0)  # 8 tokens in 0.5 s
    clock.s += 0.125
    listener.on_step(step(2), IDLE)  # the engine emptied: reported at once
    assert len(published) == 2 and published[1]["waiting"] == [0] * 5 and published[1]["running"] == [0] * 5


def test_the_rate_after_an_idle_spell_counts_only_the_busy_time(clock, published):
    listener = engine_host.CallListener(INFO)
    clock.s += 0.125
    listener.on_step(step(1), IDLE)
    clock.s += 3600  # an hour with nothing to do
    for _ in range(4):
        clock.s += 0.125
        listener.on_step(step(2), BUSY)
    assert len(published) == 2 and published[-1]["tokens_per_s"] == pytest.approx(16.0)
