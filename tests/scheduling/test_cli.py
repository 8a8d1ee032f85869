"""The command line: each workload runs and reports every policy; bad input is one line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scheduling.cli import main
from scheduling.policies import policy_names

SMALL_BURST = ["simulate", "--setting", "A100_4B", "--no-progress", "--num-epochs", "4",
               "--max_concurrent_user_requests", "6", "--seed", "1"]
SMALL_POISSON = ["simulate", "--setting", "A100_4B", "--no-progress", "--workload", "poisson",
                 "--rate", "5", "--num-requests", "30", "--max-num-seqs", "4"]
TRACE = """arrival_time_s,prompt_tokens,output_tokens,priority
0.0,120,40,4
0.0,80,30,0
0.05,200,10,2
0.1,30,60,1
0.2,50,20,3
"""


def _policy_rows(out: str) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in out.splitlines():
        words = line.split()
        if words and words[0] in policy_names():
            rows.setdefault(words[0], []).append(line)
    return rows


def _assert_table(out: str, priorities: set[int]) -> None:
    assert "times in seconds" in out
    rows = _policy_rows(out)
    assert set(rows) == set(policy_names())
    for name, lines in rows.items():
        table_lines = [line for line in lines if line.split()[1] in {"all", *{f"P{p}" for p in priorities}}]
        # one row per priority present plus "all", and one summary line
        assert sum(1 for line in lines if line.split()[1] == "all") == 1, name
        assert len(table_lines) == len(priorities) + 1, name


def test_a_small_seed_burst_reports_every_policy(capsys):
    assert main(SMALL_BURST) == 0
    out = capsys.readouterr().out
    assert "kind=seed-burst" in out and "setting A100_4B" in out
    _assert_table(out, {0, 1, 2, 3, 4})


def test_a_small_poisson_run_reports_every_policy(capsys):
    assert main(SMALL_POISSON) == 0
    out = capsys.readouterr().out
    assert "kind=poisson" in out and "num_requests=30" in out
    _assert_table(out, {0, 1, 2, 3, 4})


def test_a_trace_replays_and_reports_every_policy(tmp_path, capsys):
    path = tmp_path / "trace.csv"
    path.write_text(TRACE)
    json_path = tmp_path / "trace.json"
    assert main(["simulate", "--setting", "A100_7B", "--no-progress", "--trace", str(path),
                 "--json", str(json_path)]) == 0
    out = capsys.readouterr().out
    assert "kind=trace" in out
    _assert_table(out, {0, 1, 2, 3, 4})
    report = json.loads(json_path.read_text())
    for summary in report["policies"].values():
        assert summary["overall"]["requests"] == 5
        assert summary["overall"]["unfinished"] == 0
        # 40 + 30 + 10 + 60 + 20 tokens generated in all
        total = summary["overall"]["throughput_tok_s"] * summary["overall"]["makespan_s"]
        assert total == pytest.approx(160)


def test_json_has_the_documented_shape(tmp_path, capsys):
    path = tmp_path / "out.json"
    assert main(SMALL_POISSON + ["--policy", "fcfs", "--policy", "semantic",
                                 "--json", str(path)]) == 0
    capsys.readouterr()
    report = json.loads(path.read_text())
    assert report["setting"] == "A100_4B"
    assert report["workload"]["kind"] == "poisson"
    assert report["workload"]["num_requests"] == 30
    assert list(report["policies"]) == ["fcfs", "semantic"]
    for summary in report["policies"].values():
        overall = summary["overall"]
        for key in ("requests", "mean_latency_s", "p99_latency_s", "mean_ttft_s",
                    "throughput_tok_s"):
            assert isinstance(overall[key], (int, float)) and overall[key] > 0, key
        assert overall["requests"] == 30
        assert overall["p99_latency_s"] >= overall["mean_latency_s"] >= overall["mean_ttft_s"]
        per_priority = summary["per_priority"]
        assert set(per_priority) <= {"0", "1", "2", "3", "4"} and "0" in per_priority
        assert sum(g["requests"] for g in per_priority.values()) == 30
        group = per_priority["0"]
        for key in ("requests", "mean_latency_s", "p50_latency_s", "p99_latency_s",
                    "mean_ttft_s"):
            assert isinstance(group[key], (int, float)) and group[key] > 0, key
        assert group["p99_latency_s"] >= group["p50_latency_s"]


def test_html_is_a_self_contained_plotly_page(tmp_path, capsys):
    path = tmp_path / "report.html"
    assert main(SMALL_BURST + ["--policy", "fcfs", "--policy", "semantic-aging",
                               "--html", str(path)]) == 0
    capsys.readouterr()
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "plotly" in page.lower()
    assert "semantic-aging" in page and "fcfs" in page
    assert "<script src=" not in page  # plotly.js is inlined: the page opens offline
    assert page.count("<div class=\"figure\">") >= 4


def _write_bad_trace(tmp_path) -> str:
    path = tmp_path / "bad.csv"
    path.write_text("arrival_time_s,prompt_tokens,output_tokens,priority\n0.0,10,5,2\n0.1,ten,5,2\n")
    return str(path)


BAD_INPUTS = {
    "unknown policy": (lambda tmp: SMALL_BURST + ["--policy", "lottery"], "lottery"),
    "missing rate": (lambda tmp: ["simulate", "--setting", "A100_4B", "--workload", "poisson",
                                  "--num-requests", "5"], "--rate"),
    "negative rate": (lambda tmp: ["simulate", "--setting", "A100_4B", "--workload", "poisson",
                                   "--rate", "-3", "--num-requests", "5"], "rate"),
    "malformed trace row": (lambda tmp: ["simulate", "--setting", "A100_4B",
                                         "--trace", _write_bad_trace(tmp)], "line 3"),
    "batched tokens below seqs": (lambda tmp: SMALL_BURST + ["--max-num-seqs", "64",
                                                             "--max-num-batched-tokens", "32"],
                                  "max_num_batched_tokens"),
    "missing output folder": (lambda tmp: SMALL_BURST + ["--json", str(tmp / "nope" / "x.json")],
                              "nope"),
    "missing html folder": (lambda tmp: SMALL_BURST + ["--html", str(tmp / "gone" / "x.html")],
                            "gone"),
    "unknown setting": (lambda tmp: ["simulate", "--setting", "TPU_1T"], "TPU_1T"),
    "unknown flag": (lambda tmp: SMALL_BURST + ["--turbo"], "--turbo"),
    "bad length distribution": (lambda tmp: SMALL_BURST + ["--output-tokens", "normal:3"],
                                "normal:3"),
    "missing trace file": (lambda tmp: ["simulate", "--setting", "A100_4B",
                                        "--trace", str(tmp / "absent.csv")], "absent.csv"),
    "zero seats": (lambda tmp: SMALL_BURST + ["--max-num-seqs", "0"], "max_num_seqs"),
    "negative predictor latency": (lambda tmp: SMALL_BURST + ["--predictor-latency-s", "-1"],
                                   "--predictor-latency-s"),
    "error rate above 1": (lambda tmp: SMALL_BURST + ["--priority-error-rate", "2"],
                           "priority_error_rate"),
    "no requests": (lambda tmp: SMALL_POISSON + ["--num-requests", "0"], "no requests"),
    "zero max wait": (lambda tmp: SMALL_BURST + ["--max-wait-s", "0"], "--max-wait-s"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(tmp_path, capsys, case):
    make_argv, named = BAD_INPUTS[case]
    assert main(make_argv(tmp_path)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "error" in lines[0] and named in lines[0]
    assert "Traceback" not in captured.err
    assert not list(tmp_path.glob("**/*.json")) and not list(tmp_path.glob("**/*.html"))


def test_the_module_entry_point_exits_2_on_bad_input():
    done = subprocess.run([sys.executable, "-m", "scheduling", "simulate", "--setting", "A100_4B",
                           "--policy", "lottery"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "lottery" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_nan_max_wait_is_refused(capsys):
    assert main(SMALL_BURST + ["--policy", "semantic-aging", "--max-wait-s", "nan"]) == 2
    assert "--max-wait-s" in capsys.readouterr().err


@pytest.mark.parametrize("flag,value,explained", [
    ("--priority-mix", "1,2", "expected 5"),
    ("--output-tokens", "normal:3", "uniform:LO:HI"),
])
def test_a_malformed_typed_flag_says_what_is_accepted(capsys, flag, value, explained):
    assert main(SMALL_BURST + [flag, value]) == 2
    err = capsys.readouterr().err
    assert flag in err and explained in err
