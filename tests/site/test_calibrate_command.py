"""`calibrate` and `fidelity` as a user runs them: the file written, the table printed, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from scheduling.hardware import load_setting_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def calibrated(tiny_lm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("calibrated") / "tiny_cpu.yaml"
    from io import StringIO
    stdout = StringIO()
    call_command("calibrate", "--out", str(out), "--model-dir", str(tiny_lm_dir), "--device", "cpu",
                 "--quick", "--kv-capacity-tokens", "2000", stdout=stdout, stderr=StringIO())
    return out, stdout.getvalue()


def test_calibrate_writes_a_setting_the_simulator_loads(calibrated):
    out, printed = calibrated
    setting = load_setting_file(out)
    assert setting.name == "tiny_cpu" and setting.preemption_mode == "recompute"
    assert setting.kv_capacity_tokens == 2000 // 16 * 16
    coefficients = (setting.c1, setting.c2, setting.prefill_a, setting.prefill_b)
    # Which terms a tiny model's noisy timings put weight on varies; that the fit prices work does not.
    assert min(coefficients) >= 0 and max(coefficients) > 0 and setting.num_layers == 2
    assert "R2=" in printed and f"wrote {out}" in printed
    assert any("non-negative least squares" in source for source in setting.sources)


def test_fidelity_prints_one_row_per_priority_and_writes_the_figures(calibrated, tiny_lm_dir, tmp_path):
    out_json = tmp_path / "fidelity.json"
    from io import StringIO
    stdout = StringIO()
    call_command("fidelity", "--setting-file", str(calibrated[0]), "--model-dir", str(tiny_lm_dir),
                 "--device", "cpu", "--policies", "fcfs", "--num-requests", "12", "--rate", "40",
                 "--max-new-tokens", "3", "--json", str(out_json), stdout=stdout)
    printed = stdout.getvalue()
    figures = json.loads(out_json.read_text())
    rows = figures["policies"]["fcfs"]["rows"]
    by_priority = {row["priority"]: row["num_requests"] for row in rows}
    requests = figures["policies"]["fcfs"]["requests"]
    assert len(requests) == 12 and by_priority[None] == 12
    assert sum(n for p, n in by_priority.items() if p is not None) == 12
    for priority, count in by_priority.items():
        if priority is not None:
            assert count == sum(r["priority"] == priority for r in requests)
            assert f"P{priority}" in printed
    assert all(1 <= r["output_tokens"] <= 3 and r["real_latency_s"] > 0 for r in requests)
    assert "n<20" in printed and "target (mean and p90" in printed

    # The same real runs, simulated again from the JSON: the same simulated figures with the
    # same setting, far slower ones with a setting 1000 times as slow, and no model loaded.
    again = StringIO()
    call_command("fidelity", "--setting-file", str(calibrated[0]), "--from-json", str(out_json), stdout=again)
    row_all = next(row for row in rows if row["priority"] is None)
    assert f"{row_all['sim_mean_s']:8.2f}s" in again.getvalue()
    mapping = yaml.safe_load(calibrated[0].read_text())
    for key in ("c1", "c2", "prefill_a", "prefill_b", "per_decode_s", "per_prefill_chunk_s", "host_overhead_s"):
        mapping[key] = 1000 * mapping.get(key, 0.0)
    slow = tmp_path / "slow.yaml"
    slow.write_text(yaml.safe_dump({**mapping, "name": "slow"}))
    slower = StringIO()
    call_command("fidelity", "--setting-file", str(slow), "--from-json", str(out_json), stdout=slower)
    assert "setting slow; real runs from" in slower.getvalue()
    slow_all = next(line for line in slower.getvalue().splitlines() if line.split()[:2] == ["fcfs", "all"])
    assert float(slow_all.split()[4].rstrip("s")) > 100 * row_all["sim_mean_s"]  # arrivals do not scale


@pytest.mark.parametrize(("command", "args", "message"), [
    ("calibrate", ["--out", "/no/such/folder/x.yaml"], "output folder /no/such/folder does not exist"),
    ("calibrate", ["--out", "{tmp}/x.yaml", "--model-dir", "{tmp}/missing"], "cannot load a causal LM"),
    ("calibrate", ["--out", "{tmp}/x.yaml", "--kv-capacity-tokens", "0"], "must be >= 1"),
    ("calibrate", ["--out", "{tmp}/x.yaml", "--device", "tpu9"], "unknown device"),
    ("fidelity", ["--setting-file", "{tmp}/missing.yaml"], "cannot read setting file"),
    ("fidelity", ["--setting-file", "{tmp}/x.yaml", "--policies", "fcfs,nope"], "unknown policy 'nope'"),
    ("fidelity", ["--setting-file", "{tmp}/x.yaml", "--rate", "-1"], "must be a finite number > 0"),
    ("fidelity", ["--setting-file", "{tmp}/x.yaml", "--num-requests", "many"], "expected a whole number"),
])
def test_bad_input_is_one_message_with_exit_code_2(tmp_path, command, args, message):
    args = [arg.format(tmp=tmp_path) for arg in args]
    with pytest.raises(CommandError) as error:
        call_command(command, *args)
    assert error.value.returncode == 2 and message in str(error.value)


def test_a_bad_flag_from_the_shell_is_one_line_without_a_traceback():
    result = subprocess.run([sys.executable, "manage.py", "fidelity", "--setting-file", "x.yaml",
                             "--policies", "nope"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown policy 'nope'" in lines[0], result.stderr
