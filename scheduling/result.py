"""What one simulated (or real) run leaves behind: the requests with their timings,
the timeline of queue and KV state, and the counters. Metrics are computed from it."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from scheduling.request import Request


@dataclass(slots=True)
class Timeline:
    """Scheduler state sampled at the end of every step (columns, to stay small at 10^5 steps)."""

    time_s: array = field(default_factory=lambda: array("d"))
    num_waiting: array = field(default_factory=lambda: array("l"))
    num_running: array = field(default_factory=lambda: array("l"))
    num_kv_blocks_used: array = field(default_factory=lambda: array("l"))
    num_batched_tokens: array = field(default_factory=lambda: array("l"))

    def record(self, time_s: float, num_waiting: int, num_running: int,
               num_kv_blocks_used: int, num_batched_tokens: int) -> None:
        self.time_s.append(time_s)
        self.num_waiting.append(num_waiting)
        self.num_running.append(num_running)
        self.num_kv_blocks_used.append(num_kv_blocks_used)
        self.num_batched_tokens.append(num_batched_tokens)

    def __len__(self) -> int:
        return len(self.time_s)


@dataclass(slots=True)
class RunResult:
    """One policy's run over one request list."""

    policy: str
    requests: list[Request]
    """Every request of the workload, finished (the simulator runs until all finish)."""
    timeline: Timeline
    num_kv_blocks: int
    """KV capacity in blocks, for utilisation."""
    num_preemptions: int
    num_iterations: int
    wall_time_s: float = 0.0
