"""`manage.py calibrate --out FILE`: time the real engine on this machine and write a simulator setting."""

from __future__ import annotations

import dataclasses
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from triage_site.management.commands._cli import (CLOCK_HELP, EXIT_USAGE, THREADS_HELP, check_device,
                                                  load_model, make_errors_one_line, positive_int,
                                                  use_threads)


class Command(BaseCommand):
    help = ("Time the real inference engine on designed steps and fit the simulator's step-time "
            "coefficients; write them as a setting file for `simulate --setting-file`.")
    requires_system_checks: list[str] = []  # no database

    def create_parser(self, prog_name, subcommand, **kwargs):
        return make_errors_one_line(super().create_parser(prog_name, subcommand, **kwargs))

    def add_arguments(self, parser) -> None:
        from inference.calibration import DEFAULT_KV_CAPACITY_TOKENS

        parser.add_argument("--out", type=Path, required=True, help="setting file to write (YAML)")
        parser.add_argument("--model-dir", type=Path, default=settings.TRIAGE_LM_DIR,
                            help="transformers causal LM directory (default: the site's SmolLM2)")
        parser.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
        parser.add_argument("--quick", action="store_true",
                            help="about 110 steps instead of 900 (a rough fit, for trying it out)")
        parser.add_argument("--name", help="the setting's name (default: from the file name)")
        parser.add_argument("--kv-capacity-tokens", type=positive_int,
                            default=DEFAULT_KV_CAPACITY_TOKENS,
                            help="KV budget given to the engine and recorded in the setting")
        parser.add_argument("--threads", type=positive_int, default=1, help=THREADS_HELP)
        parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help=CLOCK_HELP)
        parser.add_argument("--samples-json", type=Path, help="also write every timed step as JSON")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options) -> None:
        from inference.calibration import format_fit, run_calibration, write_setting_file

        out: Path = options["out"]
        for path in (out, options["samples_json"]):
            if path is not None and not path.parent.is_dir():
                raise CommandError(f"output folder {path.parent} does not exist", returncode=EXIT_USAGE)
        use_threads(options["threads"])
        device = check_device(options["device"])
        model_dir: Path = options["model_dir"]
        model, _ = load_model(model_dir, device)

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"\rcalibrating: probe {done}/{total}", ending="")
            if done == total:
                self.stderr.write("")
        try:
            calibration = run_calibration(model, device=device, quick=options["quick"],
                                          kv_capacity_tokens=options["kv_capacity_tokens"],
                                          seed=options["seed"], on_probe=progress,
                                          clock=time.process_time if options["clock"] == "cpu"
                                          else time.monotonic, clock_label=options["clock"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=EXIT_USAGE) from None
        command = "python " + shlex.join(["manage.py", "calibrate", *sys.argv[2:]]) \
            if sys.argv[1:2] == ["calibrate"] else ""
        mapping = calibration.setting(name=options["name"] or out.stem, model_label=model_dir.name,
                                      command=command, engine_version=engine_version())
        write_setting_file(out, mapping, header=(
            f"Calibrated by `manage.py calibrate` from the real engine "
            f"({len(calibration.samples)} steps, {calibration.elapsed_s:.0f} s).\n"
            f"The simulator's step-time model; fit quality in `sources`."))
        if options["samples_json"]:
            options["samples_json"].write_text(json.dumps(
                [dataclasses.asdict(sample) for sample in calibration.samples]) + "\n")
        self.stdout.write(f"timed {len(calibration.samples)} steps of {model_dir.name} on {device} "
                          f"in {calibration.elapsed_s:.0f} s")
        for fit in calibration.fits:  # the written fit is starred; the others for comparison
            self.stdout.write(("* " if fit is calibration.chosen else "  ") + format_fit(fit))
        self.stdout.write(f"wrote {out} (KV capacity {calibration.kv_capacity_tokens} tokens); try: "
                          f"python -m scheduling simulate --setting-file {out}")


def engine_version() -> str:
    """The checkout's commit, and whether the engine had uncommitted changes: step costs are
    the executor's, so a setting belongs to the code that was timed."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=settings.BASE_DIR, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "inference/engine")
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"commit {commit}" + (" with uncommitted changes to inference/engine" if dirty else "")
