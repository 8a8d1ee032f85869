"""`manage.py run_scenario NAME`: run a scenario in this process and print what it did.

Where an engine run's calls are answered depends on ``TRIAGE_GENERATION``:

- ``embedded``: this command's process hosts the engine (the web server's engine is
  another process), so it waits until every call is done or failed before exiting (an engine
  that exits with the process would leave them queued). The dashboard lists the calls on reload;
  they stream live only from a run the web process starts itself (the admin action).
- ``fleet``: the calls go to the GPU workers, which answer them and publish live events; the
  command returns once the calls are created (``--wait`` waits for their answers too).
- ``off``: the calls are classified only.
"""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference.levels import level
from scheduling import report
from triage_site.models import Scenario, ScenarioRun, ScenarioRunStatus, ScenarioTarget
from triage_site.services.scenarios import (DEMO_SCENARIO_NAME, ordered_policies, ensure_demo_scenario, scenario_run,
                                            scenario_run_call_figures, scenario_run_wait_for_calls)

EXIT_USAGE = 2
DEFAULT_WAIT_TIMEOUT_S = 900.0


class Command(BaseCommand):
    help = "Run a scenario (from the admin's Scenarios) on the real engine or the simulator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help=f"the scenario's name ({DEMO_SCENARIO_NAME!r} is created if missing)")
        parser.add_argument("--target", choices=ScenarioTarget.values,
                            help="override the scenario's target (default: its own; simulator "
                                 "when --setting is given)")
        parser.add_argument("--setting", help="simulator: a built-in hardware setting")
        parser.add_argument("--speed", type=float, default=1.0,
                            help="engine: arrivals this many times faster than the scenario's (default 1)")
        parser.add_argument("--wait", action="store_true",
                            help="celery mode: also wait for the workers to answer every call")
        parser.add_argument("--wait-timeout", type=float, default=DEFAULT_WAIT_TIMEOUT_S,
                            help=f"seconds to wait for answers (default {DEFAULT_WAIT_TIMEOUT_S:g})")

    def handle(self, *args, name: str, target: str | None, setting: str | None, speed: float,
               wait: bool, wait_timeout: float, **options) -> None:
        scenario = self._scenario(name)
        if setting and target is None:
            target = ScenarioTarget.SIMULATOR
        try:
            run = scenario_run(scenario_id=scenario.pk, target=target, setting=setting, speed=speed)
        except ValidationError as exc:
            raise CommandError(_one_line(exc), returncode=EXIT_USAGE) from None
        if run.status == ScenarioRunStatus.FAILED:
            raise CommandError(f"run #{run.pk} of {scenario.name!r} failed: {run.error}", returncode=1)
        if run.target == ScenarioTarget.SIMULATOR:
            self._print_simulator_run(run)
        else:
            self._finish_engine_run(run, wait, wait_timeout)

    def _scenario(self, name: str) -> Scenario:
        if name == DEMO_SCENARIO_NAME:
            return ensure_demo_scenario()
        try:
            return Scenario.objects.get(name=name)
        except Scenario.DoesNotExist:
            known = ", ".join(Scenario.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"unknown scenario {name!r}; scenarios: {known}",
                               returncode=EXIT_USAGE) from None

    def _print_simulator_run(self, run: ScenarioRun) -> None:
        summaries = ordered_policies(run)
        compared = [name for name in summaries if name != run.policy]
        self.stdout.write(f"run #{run.pk}: scenario {run.scenario.name!r} on the simulator "
                          f"({run.setting}), policy {run.policy}"
                          f"{', compared with ' + ', '.join(compared) if compared else ''}, "
                          f"{run.num_calls} calls")
        self.stdout.write(report.format_table(summaries))
        self.stdout.write(report.format_summary_lines(summaries))
        self._print_note(run)

    def _finish_engine_run(self, run: ScenarioRun, wait: bool, wait_timeout: float) -> None:
        counts = Counter(entry["level"] for entry in run.calls)
        mix = ", ".join(f"{level(lvl).label} {counts[lvl]}" for lvl in sorted(counts))
        self.stdout.write(f"run #{run.pk}: scenario {run.scenario.name!r} on the real engine, policy "
                          f"{run.policy}: created {run.num_calls} calls ({mix or 'none'})")
        self._print_note(run)
        mode = settings.TRIAGE_GENERATION
        if mode == "embedded" or (mode == "fleet" and wait):
            self.stdout.write(f"waiting for the engine to answer them (up to {wait_timeout:g} s)...")
            finished = scenario_run_wait_for_calls(run_id=run.pk, timeout_s=wait_timeout)
            self._print_call_figures(run)
            if not finished:
                raise CommandError(f"not every call of run #{run.pk} was answered within "
                                   f"{wait_timeout:g} s", returncode=1)

    def _print_call_figures(self, run: ScenarioRun) -> None:
        self.stdout.write(f"{'priority':16} {'calls':>5} {'done':>5} {'failed':>6} {'mean lat s':>10} "
                          f"{'mean TTFT s':>11}")
        for figures in scenario_run_call_figures(run):
            self.stdout.write(f"{level(figures.level).label:16} {figures.num_calls:5} {figures.num_done:5} "
                              f"{figures.num_failed:6} {_seconds(figures.mean_latency_s):>10} "
                              f"{_seconds(figures.mean_ttft_s):>11}")

    def _print_note(self, run: ScenarioRun) -> None:
        if run.note:
            self.stdout.write(f"note: {run.note}")


def _one_line(error: ValidationError) -> str:
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
