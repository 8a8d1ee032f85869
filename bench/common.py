"""Shared helpers for the benchmarks: timing medians and the machine description."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median CPU seconds of ``fn`` (single-threaded code: other load on the machine does
    not inflate it the way it inflates wall time)."""
    timings = []
    for _ in range(repeats):
        started = time.process_time()
        fn()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
