"""Named experiment regimes and the measurements that the goal benchmark and the research
report share: every policy on the same requests per seed, compared with each request alone.

"Idle" is the same request simulated alone on the same server (same setting, same limits):
the speed an urgent request should keep under load. Ratios to idle are *ratios of means*
(mean latency under load over mean idle latency of the same requests) unless a name says
``per_request`` (the mean of each request's own ratio).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from scheduling import metrics, workloads
from scheduling.hardware import HardwareSetting, load_builtin_setting
from scheduling.plan import BatchLimits
from scheduling.policies import make_policy
from scheduling.predictors import PredictorConfig, apply_predictions
from scheduling.request import NUM_PRIORITIES, Request
from scheduling.simulator import Simulation, simulate

REFERENCE_GAP_S = 0.01
REFERENCE_MAX_PER_EPOCH = 50
SEAT_BOUND_MAX_NUM_SEQS = 16


@dataclass(frozen=True)
class Regime:
    """One workload on one server: what the goal table and the report run every policy on."""

    name: str
    title: str
    kind: str
    """``"poisson"`` or ``"seed-burst"`` (the reference burst: gap 0.01 s, up to 50 an epoch)."""
    limits: BatchLimits = field(default_factory=BatchLimits)
    setting_name: str = "A100_7B"
    rate_per_s: float | None = None
    num_requests: int | None = None
    priority_mix: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("poisson", "seed-burst"):
            raise ValueError(f"unknown regime kind {self.kind!r}")
        if self.kind == "poisson" and (self.rate_per_s is None or self.num_requests is None):
            raise ValueError("a poisson regime needs rate_per_s and num_requests")

    @property
    def setting(self) -> HardwareSetting:
        return _builtin_setting(self.setting_name)

    def requests(self, seed: int) -> list[Request]:
        """The request list of ``seed``, drawn exactly as ``simulate --seed`` draws it."""
        rng = random.Random(f"workload:{seed}")
        if self.kind == "poisson":
            requests = workloads.poisson(rng, rate_per_s=self.rate_per_s,
                                         num_requests=self.num_requests,
                                         priority_mix=self.priority_mix)
        else:
            requests = workloads.seed_burst(rng, user_request_gap_s=REFERENCE_GAP_S,
                                            max_concurrent_user_requests=REFERENCE_MAX_PER_EPOCH,
                                            priority_mix=self.priority_mix)
        apply_predictions(requests, PredictorConfig(), random.Random(f"predictions:{seed}"))
        return requests

    def command(self, seed: int | str = "S") -> str:
        """The ``simulate`` command that reproduces one seed of this regime."""
        parts = [f"python -m scheduling simulate --setting {self.setting_name}",
                 f"--max-num-seqs {self.limits.max_num_seqs}",
                 f"--max-num-batched-tokens {self.limits.max_num_batched_tokens}"]
        if self.kind == "poisson":
            parts.append(f"--workload poisson --rate {self.rate_per_s:g} "
                         f"--num-requests {self.num_requests}")
        else:
            parts.append(f"--user_request_gap {REFERENCE_GAP_S} "
                         f"--max_concurrent_user_requests {REFERENCE_MAX_PER_EPOCH}")
        if self.priority_mix is not None:
            parts.append("--priority-mix " + ",".join(f"{w:g}" for w in self.priority_mix))
        parts.append(f"--seed {seed}")
        return " ".join(parts)


@functools.lru_cache(maxsize=None)
def _builtin_setting(name: str) -> HardwareSetting:
    return load_builtin_setting(name)


def goal_regimes(num_requests: int = 20_000, rate_per_s: float = 6.48) -> list[Regime]:
    """The three regimes of the urgency issue, on A100_7B."""
    return [
        Regime("poisson-90", f"Poisson at 90% of capacity ({rate_per_s:g} req/s, "
               f"{num_requests:,} requests), vLLM's limits", "poisson",
               rate_per_s=rate_per_s, num_requests=num_requests),
        Regime("burst-kv", "Reference burst at vLLM's limits (256 seqs, 2,048 tokens): KV-bound",
               "seed-burst"),
        Regime("burst-seat", "Reference burst at 16 seqs: seat-bound", "seed-burst",
               limits=BatchLimits(SEAT_BOUND_MAX_NUM_SEQS, 2048)),
    ]


def capacity_req_s(setting: HardwareSetting, limits: BatchLimits, num_requests: int = 5_000) -> float:
    """Requests per second FCFS completes at saturation (every request waiting from the start),
    as ``bench/sim_bench.py`` measures it: the load that "90% of capacity" refers to."""
    burst = workloads.poisson(random.Random(0), rate_per_s=10_000, num_requests=num_requests)
    result = simulate(burst, setting, make_policy("fcfs"), limits)
    return num_requests / max(r.finish_time_s for r in result.requests)


def idle_latencies_s(requests: Sequence[Request], setting: HardwareSetting,
                     limits: BatchLimits) -> np.ndarray:
    """Each request's latency when it is alone on the same server (in the order given)."""
    latencies = np.empty(len(requests))
    for index, request in enumerate(requests):
        alone = Simulation([request.fresh_copy()], setting, make_policy("fcfs"), limits).run()
        latencies[index] = alone.requests[0].latency_s
    return latencies


@dataclass
class PolicyRun:
    """One policy on one seed of a regime: its summary and its latencies beside idle ones."""

    regime: str
    seed: int
    policy: str
    summary: dict
    """``metrics.summarize`` of the run."""
    class_idle_mean_s: dict[int, float]
    class_idle_p99_s: dict[int, float]
    class_ratio_per_request: dict[int, float]
    """Per class, the mean of each request's latency over its idle latency."""
    longest_service_s: float
    """The longest time any request held a seat (first scheduled to finish, preemptions included)."""
    longest_idle_s: float
    """The longest idle latency in the workload: what serving one request alone can take."""
    p0_present_share: float
    """Share of the makespan during which at least one class-0 request was in the system."""

    def class_mean_s(self, priority: int) -> float | None:
        group = self.summary["per_priority"].get(str(priority))
        return None if group is None else group["mean_latency_s"]

    def class_p99_s(self, priority: int) -> float | None:
        group = self.summary["per_priority"].get(str(priority))
        return None if group is None else group["p99_latency_s"]

    def ratio_to_idle(self, priority: int) -> float | None:
        """Mean latency of the class over its mean idle latency (ratio of means)."""
        mean = self.class_mean_s(priority)
        idle = self.class_idle_mean_s.get(priority)
        return None if mean is None or not idle else mean / idle

    def p99_ratio_to_idle(self, priority: int) -> float | None:
        p99 = self.class_p99_s(priority)
        idle = self.class_idle_p99_s.get(priority)
        return None if p99 is None or not idle else p99 / idle

    @property
    def overall(self) -> dict:
        return self.summary["overall"]


def run_policies(regime: Regime, seed: int, policies: Iterable[str],
                 policy_options: Callable[[str], dict] | None = None,
                 requests: Sequence[Request] | None = None) -> list[PolicyRun]:
    """Every policy in ``policies`` on the same requests of ``seed`` (made here unless given)."""
    setting = regime.setting
    requests = list(requests) if requests is not None else regime.requests(seed)
    idle = idle_latencies_s(requests, setting, regime.limits)
    priorities = np.array([r.priority for r in requests])
    class_idle_mean = {p: float(idle[priorities == p].mean())
                       for p in range(NUM_PRIORITIES) if (priorities == p).any()}
    class_idle_p99 = {p: float(np.percentile(idle[priorities == p], 99)) for p in class_idle_mean}
    index_of = {r.request_id: i for i, r in enumerate(requests)}
    runs = []
    for name in policies:
        options = policy_options(name) if policy_options is not None else {}
        result = simulate(requests, setting, make_policy(name, **options), regime.limits)
        latency = np.empty(len(requests))
        longest_service_s = 0.0
        for request in result.requests:
            latency[index_of[request.request_id]] = request.latency_s
            longest_service_s = max(longest_service_s,
                                    request.finish_time_s - request.first_scheduled_time_s)
        per_request = latency / idle
        runs.append(PolicyRun(
            regime=regime.name, seed=seed, policy=name,
            summary=metrics.summarize(result),
            class_idle_mean_s=class_idle_mean, class_idle_p99_s=class_idle_p99,
            class_ratio_per_request={p: float(per_request[priorities == p].mean())
                                     for p in class_idle_mean},
            longest_service_s=longest_service_s,
            longest_idle_s=float(idle.max()),
            p0_present_share=share_of_time_present(result.requests, 0)))
    return runs


def share_of_time_present(requests: Sequence[Request], priority: int) -> float:
    """Share of the makespan (first arrival to last finish) during which at least one request
    of class ``priority`` had arrived and not yet finished."""
    intervals = sorted((r.arrival_time_s, r.finish_time_s) for r in requests
                       if r.priority == priority)
    covered, end = 0.0, -math.inf
    for start, finish in intervals:
        if finish > end:
            covered += finish - max(start, end)
            end = finish
    makespan_s = max(r.finish_time_s for r in requests) - min(r.arrival_time_s for r in requests)
    return covered / makespan_s if makespan_s > 0 else 0.0


# --- statistics over seeds ----------------------------------------------------------------

_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
          2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086)
"""Student's t, 97.5% quantile, for 1..20 degrees of freedom (numpy has no t distribution)."""


def median(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.median(kept)) if kept else None


def mean_ci95(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Mean over seeds and the half-width of its 95% confidence interval (t distribution);
    the half-width is None with fewer than two values."""
    kept = np.array([v for v in values if v is not None], dtype=float)
    if kept.size == 0:
        return None, None
    if kept.size == 1:
        return float(kept[0]), None
    dof = kept.size - 1
    t = _T_975[dof - 1] if dof <= len(_T_975) else 1.96
    return float(kept.mean()), float(t * kept.std(ddof=1) / math.sqrt(kept.size))
