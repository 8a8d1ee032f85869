"""Serving metrics of a run: latency/TTFT/TPOT/queueing percentiles, throughput, goodput, KV use."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scheduling.request import NUM_PRIORITIES, Request
from scheduling.result import RunResult, Timeline

PERCENTILES = (50, 90, 99)
TIMING_METRICS = ("latency", "ttft", "tpot", "queueing_delay")
SLO_TOLERANCE_S = 1e-9
"""Slack on SLO checks so that clock rounding (1.1 - 0.1 > 1.0) never fails a request
that meets its target exactly."""


@dataclass(frozen=True)
class SLO:
    """Targets one urgency level must meet for a request to count towards goodput."""

    ttft_s: float
    tpot_s: float

    def __post_init__(self) -> None:
        for name in ("ttft_s", "tpot_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"SLO {name} must be a positive number, got {value!r}")


DEFAULT_SLOS: dict[int, SLO] = {
    0: SLO(ttft_s=1.0, tpot_s=0.05),
    1: SLO(ttft_s=2.0, tpot_s=0.05),
    2: SLO(ttft_s=5.0, tpot_s=0.1),
    3: SLO(ttft_s=10.0, tpot_s=0.1),
    4: SLO(ttft_s=30.0, tpot_s=0.2),
}
"""Default SLOs per true priority (TTFT s, TPOT s): 0: 1, 0.05; 1: 2, 0.05; 2: 5, 0.1;
3: 10, 0.1; 4: 30, 0.2. Tighter for the urgent, as a triage line must answer them first.
A request with one output token has no TPOT and meets the TPOT SLO trivially."""


def parse_slos(text: str) -> dict[int, SLO]:
    """Parse ``priority:ttft_s:tpot_s,...`` (any subset) over the defaults, for the CLI."""
    slos = dict(DEFAULT_SLOS)
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        fields = part.split(":")
        if len(fields) != 3:
            raise ValueError(f"bad SLO {part!r}: expected priority:ttft_s:tpot_s")
        try:
            priority = int(fields[0])
            ttft_s, tpot_s = float(fields[1]), float(fields[2])
        except ValueError:
            raise ValueError(f"bad SLO {part!r}: expected integer:number:number") from None
        if not 0 <= priority < NUM_PRIORITIES:
            raise ValueError(f"bad SLO {part!r}: priority must be in 0..{NUM_PRIORITIES - 1}")
        try:
            slos[priority] = SLO(ttft_s=ttft_s, tpot_s=tpot_s)
        except ValueError:
            raise ValueError(f"bad SLO {part!r}: times must be positive numbers") from None
    return slos


@dataclass(frozen=True)
class RequestTimings:
    """Per-request columns (NaN where undefined), built once so every statistic is vectorised."""

    priority: np.ndarray
    num_output_tokens: np.ndarray
    num_preemptions: np.ndarray
    arrival_s: np.ndarray
    finish_s: np.ndarray
    latency_s: np.ndarray
    ttft_s: np.ndarray
    tpot_s: np.ndarray
    queueing_delay_s: np.ndarray

    @classmethod
    def from_requests(cls, requests: list[Request]) -> RequestTimings:
        rows = [
            (r.priority, r.num_output_tokens, r.num_preemptions, r.arrival_time_s,
             r.first_scheduled_time_s, r.first_token_time_s, r.finish_time_s)
            for r in requests
        ]
        table = np.array(rows, dtype=float).reshape(len(rows), 7)
        priority, num_out, num_preempt, arrival, scheduled, first_token, finish = table.T
        # Same definitions as the Request properties: TPOT needs two tokens to exist.
        tpot = np.full(len(rows), np.nan)
        multi = num_out >= 2
        tpot[multi] = (finish[multi] - first_token[multi]) / (num_out[multi] - 1)
        return cls(
            priority=priority.astype(np.int64),
            num_output_tokens=num_out.astype(np.int64),
            num_preemptions=num_preempt.astype(np.int64),
            arrival_s=arrival,
            finish_s=finish,
            latency_s=finish - arrival,
            ttft_s=first_token - arrival,
            tpot_s=tpot,
            queueing_delay_s=scheduled - arrival,
        )

    @property
    def finished(self) -> np.ndarray:
        return ~np.isnan(self.finish_s)

    def meets_slo(self, slos: dict[int, SLO]) -> np.ndarray:
        """Boolean per request: finished, TTFT within target and TPOT (if any) within target."""
        missing = set(np.unique(self.priority).tolist()) - set(slos)
        if missing:
            raise ValueError(f"no SLO for priority {sorted(missing)}")
        levels = range(NUM_PRIORITIES)
        ttft_target = np.array([slos[p].ttft_s if p in slos else np.nan for p in levels])
        tpot_target = np.array([slos[p].tpot_s if p in slos else np.nan for p in levels])
        ttft_limit = ttft_target[self.priority] + SLO_TOLERANCE_S
        tpot_limit = tpot_target[self.priority] + SLO_TOLERANCE_S
        # NaN comparisons are False, so unfinished / first-token-less requests fail here.
        ttft_ok = self.ttft_s <= ttft_limit
        tpot_ok = np.isnan(self.tpot_s) | (self.tpot_s <= tpot_limit)
        return self.finished & ttft_ok & tpot_ok


def summarize(result: RunResult, slos: dict[int, SLO] = DEFAULT_SLOS) -> dict:
    """JSON-ready ``{"overall": {...}, "per_priority": {"0": {...}, ...}}``, split by true priority.

    Priorities without requests are left out; unfinished requests count as ``unfinished``
    and as missing their SLO, and add no latency sample."""
    timings = RequestTimings.from_requests(result.requests)
    met = timings.meets_slo(slos)
    makespan_s = _makespan_s(timings)
    everyone = np.ones(len(result.requests), dtype=bool)

    overall = _group_summary(timings, everyone, met, makespan_s)
    overall["unfinished"] = int((~timings.finished).sum())
    overall["preemptions"] = int(result.num_preemptions)
    overall["makespan_s"] = makespan_s
    overall["throughput_req_s"] = _rate(int(timings.finished.sum()), makespan_s)
    overall["throughput_tok_s"] = _rate(int(timings.num_output_tokens.sum()), makespan_s)
    overall.update(_timeline_summary(result.timeline, result.num_kv_blocks))
    overall["iterations"] = int(result.num_iterations)
    overall["wall_time_s"] = float(result.wall_time_s)

    per_priority = {
        str(p): _group_summary(timings, timings.priority == p, met, makespan_s)
        for p in sorted(set(timings.priority.tolist()))
    }
    return {"overall": overall, "per_priority": per_priority}


def _group_summary(timings: RequestTimings, mask: np.ndarray, met: np.ndarray,
                   makespan_s: float | None) -> dict:
    """Statistics shared by the overall group and each priority group."""
    num_requests = int(mask.sum())
    summary: dict = {"requests": num_requests}
    for metric in TIMING_METRICS:
        summary.update(_distribution(metric, getattr(timings, f"{metric}_s")[mask]))
    summary["max_queueing_delay_s"] = _max(timings.queueing_delay_s[mask])
    num_met = int(met[mask].sum())
    summary["goodput_req_s"] = _rate(num_met, makespan_s)
    summary["slo_attainment"] = num_met / num_requests if num_requests else None
    summary["preemptions"] = int(timings.num_preemptions[mask].sum())
    return summary


def _distribution(metric: str, values: np.ndarray) -> dict:
    """Mean and percentiles (numpy linear interpolation) of the defined samples, None if none."""
    values = values[~np.isnan(values)]
    keys = [f"mean_{metric}_s"] + [f"p{q}_{metric}_s" for q in PERCENTILES]
    if values.size == 0:
        return dict.fromkeys(keys)
    stats = [float(values.mean())] + [float(v) for v in np.percentile(values, PERCENTILES)]
    return dict(zip(keys, stats))


def _max(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(values.max()) if values.size else None


def _makespan_s(timings: RequestTimings) -> float | None:
    """First arrival to last finish; None when nothing finished."""
    finished = timings.finished
    if not finished.any():
        return None
    return float(timings.finish_s[finished].max() - timings.arrival_s.min())


def _rate(count: int, makespan_s: float | None) -> float | None:
    if makespan_s is None or makespan_s <= 0:
        return None
    return count / makespan_s


def _timeline_summary(timeline: Timeline, num_kv_blocks: int) -> dict:
    """KV utilisation weighted by how long each sample held (until the next one), and batch size."""
    time_s = np.asarray(timeline.time_s, dtype=float)
    batch_tokens = np.asarray(timeline.num_batched_tokens, dtype=float)
    summary: dict = {"kv_util_mean": None, "kv_util_peak": None,
                     "mean_batch_tokens": float(batch_tokens.mean()) if batch_tokens.size else None}
    if time_s.size == 0 or num_kv_blocks <= 0:
        return summary
    util = np.asarray(timeline.num_kv_blocks_used, dtype=float) / num_kv_blocks
    held_s = np.diff(time_s)
    total_s = float(held_s.sum())
    # The last sample holds for no known time; a single-instant timeline takes a plain mean.
    if total_s > 0:
        summary["kv_util_mean"] = float((util[:-1] * held_s).sum() / total_s)
    else:
        summary["kv_util_mean"] = float(util.mean())
    summary["kv_util_peak"] = float(util.max())
    return summary
