"""Services for scenario runs: start one, carry it out on the real engine or the simulator.

A run is a row created first (status ``running``, so the admin shows it at once) and then
carried out, in the caller's thread (``scenario_run``, the command) or in a background thread
(``scenario_run_in_background``, the admin action). Either way it ends ``done`` or ``failed``
with the error, never silently.

Engine runs create real calls through ``call_create`` at their arrival times, so they are
classified, dispatched per ``TRIAGE_GENERATION`` and shown live, like any other call. The engine
schedules them with its own policy (``TRIAGE_ENGINE_POLICY``); a scenario asking for another one
gets a note on its run saying which policy really ran. Simulator runs build the same calls as
requests and simulate the scenario's policy on its hardware setting, storing the figures of
``simulate --json``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from scheduling import metrics, report
from scheduling.hardware import builtin_setting_names, load_builtin_setting
from scheduling.plan import BatchLimits
from scheduling.policies import make_policy
from scheduling.simulator import simulate
from triage_site.models import (ArrivalProcess, Call, CallSource, CallStatus, Scenario, ScenarioRun,
                                ScenarioRunStatus, ScenarioTarget)
from triage_site.generation import get_generation_backend
from triage_site.services.calls import call_create
from triage_site.services.scenario_plan import (LENGTHS_DESCRIPTION, Arrivals, PlannedCall,
                                                corpus_reply_lengths, plan_calls, simulator_requests)
from triage_site.triage import get_length_predictor, reply_length_table

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000
DEMO_SCENARIO_NAME = "demo"
FINISHED_CALL_STATUSES = (CallStatus.DONE, CallStatus.FAILED)


# --- Starting and running ------------------------------------------------------------------


@transaction.atomic
def scenario_run_start(*, scenario_id: int, target: str | None = None, setting: str | None = None,
                       speed: float = 1.0) -> ScenarioRun:
    """Validate the scenario and the overrides, and store a ``running`` run (nothing sent yet).

    ``target``/``setting`` override the scenario's for this run; ``speed`` divides the engine's
    waits between arrivals (1 = real time)."""
    scenario = Scenario.objects.get(pk=scenario_id)
    scenario.full_clean()
    target = target or scenario.target
    if target not in ScenarioTarget.values:
        raise ValidationError({"target": f"Unknown target {target!r}; choose engine or simulator."})
    if not speed > 0:
        raise ValidationError({"speed": f"The speed must be a number > 0, got {speed!r}."})
    if target == ScenarioTarget.SIMULATOR:
        setting = setting or scenario.setting
        if setting not in builtin_setting_names():
            raise ValidationError({"setting": f"Unknown hardware setting {setting!r}; built-in "
                                              f"settings: {', '.join(builtin_setting_names())}."})
        return ScenarioRun.objects.create(scenario=scenario, target=target, setting=setting,
                                          policy=scenario.policy, speed=speed)
    if setting:
        raise ValidationError({"setting": "A hardware setting applies to simulator runs only."})
    engine_policy = settings.TRIAGE_ENGINE_POLICY
    note = engine_note(scenario.policy, engine_policy)
    if scenario.compared_policies:
        note = f"{note} Policies are compared on simulator runs only; this run used one.".strip()
    return ScenarioRun.objects.create(scenario=scenario, target=target, policy=engine_policy,
                                      speed=speed, note=note)


def engine_note(scenario_policy: str, engine_policy: str) -> str:
    """What an operator must know about who schedules an engine run's calls."""
    notes = []
    if scenario_policy != engine_policy:
        notes.append(f"The scenario asks for policy {scenario_policy!r}, but the real engine schedules "
                     f"with its own policy {engine_policy!r} (TRIAGE_ENGINE_POLICY): these calls "
                     f"ran under {engine_policy!r}.")
    backend_note = get_generation_backend().note()
    if backend_note:
        notes.append(backend_note)
    return " ".join(notes)


def scenario_run(*, scenario_id: int, target: str | None = None, setting: str | None = None,
                 speed: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> ScenarioRun:
    """Start a run and carry it out in this thread; returns the finished run (done or failed)."""
    run = scenario_run_start(scenario_id=scenario_id, target=target, setting=setting, speed=speed)
    return scenario_run_execute(run_id=run.pk, sleep=sleep, clock=clock)


def scenario_run_in_background(*, scenario_id: int, target: str | None = None,
                               setting: str | None = None, speed: float = 1.0) -> ScenarioRun:
    """Start a run and carry it out in a thread once the run is committed; returns at once.

    The thread lives in this process: in the embedded mode the web process's engine answers the
    calls and the dashboard shows them live. A process that stops mid-run leaves it ``running``.
    """
    run = scenario_run_start(scenario_id=scenario_id, target=target, setting=setting, speed=speed)
    transaction.on_commit(lambda: _start_thread(run.pk))
    return run


def _start_thread(run_id: int) -> None:
    threading.Thread(target=_execute_in_thread, args=(run_id,), name=f"scenario-run-{run_id}",
                     daemon=True).start()


def _execute_in_thread(run_id: int) -> None:
    close_old_connections()
    try:
        scenario_run_execute(run_id=run_id)
    finally:
        connections.close_all()  # this thread's connections only


def scenario_run_execute(*, run_id: int, sleep: Callable[[float], None] = time.sleep,
                         clock: Callable[[], float] = time.monotonic) -> ScenarioRun:
    """Carry out a ``running`` run; any failure ends it ``failed`` with the reason."""
    run = ScenarioRun.objects.select_related("scenario").get(pk=run_id)
    if run.status != ScenarioRunStatus.RUNNING:
        return run  # carried out already
    try:
        calls = plan_calls_for(run.scenario)
        if run.target == ScenarioTarget.SIMULATOR:
            _run_on_simulator(run, calls)
        else:
            _run_on_engine(run, calls, sleep, clock)
    except Exception as exc:  # noqa: BLE001 - a failed run must say why, in the run
        logger.exception("scenario run %s failed", run.pk)
        ScenarioRun.objects.filter(pk=run.pk).update(
            status=ScenarioRunStatus.FAILED, finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
    else:
        ScenarioRun.objects.filter(pk=run.pk, status=ScenarioRunStatus.RUNNING).update(
            status=ScenarioRunStatus.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    logger.info("scenario run %s %s: %s calls", run.pk, run.status, run.num_calls)
    return run


def scenario_arrivals(scenario: Scenario) -> Arrivals:
    rate_per_s = scenario.rate_per_min / 60 if scenario.rate_per_min else None
    return Arrivals(process=scenario.arrival_process, max_calls=scenario.max_calls,
                    rate_per_s=rate_per_s, burst_size=scenario.burst_size,
                    burst_gap_s=scenario.burst_gap_s, duration_s=scenario.duration_s,
                    num_calls=scenario.num_calls)


def plan_calls_for(scenario: Scenario) -> list[PlannedCall]:
    return plan_calls(scenario_arrivals(scenario), scenario.urgency_mix, scenario.text_source,
                      settings.TRIAGE_CORPUS_DIR, scenario.seed)


def _add_note(run: ScenarioRun, text: str) -> None:
    run.note = f"{run.note} {text}".strip()
    ScenarioRun.objects.filter(pk=run.pk).update(note=run.note)


def _cap_note(run: ScenarioRun, calls: list[PlannedCall]) -> None:
    if scenario_arrivals(run.scenario).is_capped(len(calls)):
        _add_note(run, f"Arrivals stopped at the scenario's cap of {run.scenario.max_calls} calls.")


# --- The real engine -----------------------------------------------------------------------


def _run_on_engine(run: ScenarioRun, calls: list[PlannedCall], sleep: Callable[[float], None],
                   clock: Callable[[], float]) -> None:
    """Create each call at its arrival time (divided by the run's speed), measured from the start."""
    _cap_note(run, calls)
    _warm_up_engine()
    created: list[dict] = []
    started = clock()
    for planned in calls:
        wait_s = started + planned.arrival_s / run.speed - clock()
        if wait_s > 0:
            sleep(wait_s)
        call = call_create(text=planned.text, source=CallSource.SCENARIO)
        created.append({"call_id": call.pk, "level": planned.level,
                        "arrival_s": round(planned.arrival_s, 3)})
        # Stored as it goes: the run page shows a running scenario's calls.
        ScenarioRun.objects.filter(pk=run.pk).update(calls=created, num_calls=len(created))


def _warm_up_engine() -> None:
    """Load the classifier and (embedded) the engine before the clock starts, so loading them
    does not bunch up the first arrivals."""
    get_generation_backend().warm_up()


def scenario_run_wait_for_calls(*, run_id: int, timeout_s: float, poll_s: float = 1.0,
                                sleep: Callable[[float], None] = time.sleep,
                                clock: Callable[[], float] = time.monotonic) -> bool:
    """Wait until every call of the run is done or failed; False if ``timeout_s`` passed first."""
    deadline = clock() + timeout_s
    call_ids = ScenarioRun.objects.get(pk=run_id).call_ids
    while True:
        pending = Call.objects.filter(pk__in=call_ids).exclude(status__in=FINISHED_CALL_STATUSES)
        if not pending.exists():
            return True
        if clock() >= deadline:
            return False
        sleep(poll_s)


@dataclass(frozen=True)
class LevelFigures:
    """What an engine run's calls of one true level did (from the stored calls)."""

    level: int
    num_calls: int
    num_done: int
    num_failed: int
    mean_latency_s: float | None
    mean_ttft_s: float | None
    mean_queueing_delay_s: float | None
    num_predicted_as_level: int
    """Calls of this level the classifier rated at this level."""


def scenario_run_call_figures(run: ScenarioRun) -> list[LevelFigures]:
    """Per true level, what the run's calls did so far (levels without calls are left out)."""
    level_of = {entry["call_id"]: entry["level"] for entry in run.calls}
    by_level: dict[int, list[Call]] = {}
    for call in Call.objects.filter(pk__in=level_of):
        by_level.setdefault(level_of[call.pk], []).append(call)
    return [_level_figures(level, by_level[level]) for level in sorted(by_level)]


def _level_figures(level: int, calls: list[Call]) -> LevelFigures:
    def mean(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return sum(known) / len(known) if known else None

    done = [c for c in calls if c.status == CallStatus.DONE]
    return LevelFigures(level=level, num_calls=len(calls), num_done=len(done),
                        num_failed=sum(c.status == CallStatus.FAILED for c in calls),
                        mean_latency_s=mean([c.latency_s for c in done]),
                        mean_ttft_s=mean([c.ttft_s for c in done]),
                        mean_queueing_delay_s=mean([c.queueing_delay_s for c in done]),
                        num_predicted_as_level=sum(c.priority == level for c in calls))


# --- The simulator -------------------------------------------------------------------------


def _run_on_simulator(run: ScenarioRun, calls: list[PlannedCall]) -> None:
    """Simulate the planned calls under the run's policy, and each policy it is compared with,
    on the same requests, limits and setting; store the summaries (the run's policy first)."""
    if not calls:
        raise ValueError("the scenario's arrivals produce no calls (is the duration too short?)")
    scenario = run.scenario
    setting = load_builtin_setting(run.setting)
    limits = BatchLimits()
    requests = simulator_requests(calls, scenario.seed,
                                  corpus_reply_lengths(settings.TRIAGE_CORPUS_DIR, reply_length_table()),
                                  get_length_predictor().predict)
    summaries = {name: metrics.summarize(simulate(requests, setting, make_policy(name), limits))
                 for name in [run.policy, *scenario.compared_policies]}
    results = report.to_json(setting.name, simulator_workload(scenario, calls, limits), summaries)
    results["policy_order"] = list(summaries)  # a JSON object's key order is not kept by PostgreSQL
    ScenarioRun.objects.filter(pk=run.pk).update(results=results, num_calls=len(calls))
    _cap_note(run, calls)


def ordered_policies(run: ScenarioRun) -> dict[str, dict]:
    """A simulator run's summaries by policy, the run's own first, then as compared."""
    results = run.results or {}
    policies = results.get("policies", {})
    order = results.get("policy_order") or [run.policy, *sorted(set(policies) - {run.policy})]
    return {name: policies[name] for name in order if name in policies}


def simulator_workload(scenario: Scenario, calls: list[PlannedCall], limits: BatchLimits) -> dict:
    """The workload description stored with the figures (as ``simulate --json`` has one)."""
    workload: dict = {"kind": "scenario", "scenario": scenario.name,
                      "arrival_process": scenario.arrival_process}
    if scenario.arrival_process == ArrivalProcess.POISSON:
        workload["rate_per_min"] = scenario.rate_per_min
    else:
        workload.update(burst_size=scenario.burst_size, burst_gap_s=scenario.burst_gap_s)
    counts = Counter(call.level for call in calls)
    workload.update(duration_s=scenario.duration_s, num_calls=scenario.num_calls,
                    max_calls=scenario.max_calls, priority_mix=list(scenario.urgency_mix),
                    calls_per_priority={str(lvl): counts[lvl] for lvl in sorted(counts)},
                    text_source=scenario.text_source, lengths=LENGTHS_DESCRIPTION,
                    seed=scenario.seed, num_requests=len(calls), max_num_seqs=limits.max_num_seqs,
                    max_num_batched_tokens=limits.max_num_batched_tokens)
    return workload


# --- The demo ------------------------------------------------------------------------------


DEMO_SCENARIO = {
    "description": "Two minutes of calls to the real engine: about six a minute, mostly urgent or "
                   "less urgent, with the occasional life-threatening one, texts from the "
                   "labelled corpus.",
    "arrival_process": ArrivalProcess.POISSON, "rate_per_min": 6.0, "num_calls": 12,
    "weight_p0": 0.10, "weight_p1": 0.20, "weight_p2": 0.30, "weight_p3": 0.25, "weight_p4": 0.15,
    "text_source": "corpus", "policy": "semantic-guard", "target": ScenarioTarget.ENGINE, "setting": "",
    "seed": 4, "max_calls": 50,
}


def ensure_demo_scenario() -> Scenario:
    """The ``demo`` scenario, created if missing (an edited one is left as the operator made it)."""
    scenario, created = Scenario.objects.get_or_create(name=DEMO_SCENARIO_NAME, defaults=DEMO_SCENARIO)
    if created:
        scenario.full_clean()
    return scenario
