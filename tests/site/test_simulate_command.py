"""`manage.py simulate` forwards its flags to scheduling.cli untouched."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

pytest.importorskip("scheduling.cli")

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_it_prints_a_table_for_the_chosen_policy() -> None:
    out = io.StringIO()
    call_command(
        "simulate",
        "--setting", "A100_7B",
        "--policy", "fcfs",
        "--workload", "poisson",
        "--rate", "2",
        "--num-requests", "50",
        stdout=out,
    )  # fmt: skip
    assert "fcfs" in out.getvalue()


def test_it_rejects_an_unknown_setting_in_one_line() -> None:
    # `--setting` must reach the CLI, not be taken for Django's `--settings`.
    result = subprocess.run(
        [sys.executable, "manage.py", "simulate", "--setting", "NOPE"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "NOPE" in lines[0]
