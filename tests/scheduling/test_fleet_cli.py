"""``simulate --replicas N --router NAME``: fleet-wide figures in today's shape plus the fleet;
the default (one replica, no router) is today's run unchanged; bad flags are one line, exit 2."""

from __future__ import annotations

import json
import random

import pytest

from scheduling import metrics, report
from scheduling.cli import build_parser, build_workload, load_setting, main
from scheduling.plan import BatchLimits
from scheduling.policies import make_policy
from scheduling.predictors import PredictorConfig, apply_predictions
from scheduling.simulator import simulate

RUN = ["simulate", "--setting", "A100_4B", "--no-progress", "--workload", "poisson",
       "--rate", "20", "--num-requests", "120", "--max-num-seqs", "4", "--seed", "9",
       "--predictor-latency-s", "0.01", "--priority-error-rate", "0.2",
       "--policy", "fcfs", "--policy", "semantic"]


def _json(tmp_path, argv: list[str], name: str = "out.json") -> dict:
    path = tmp_path / name
    assert main(argv + ["--json", str(path)]) == 0
    result = json.loads(path.read_text())
    for summary in result["policies"].values():
        summary["overall"].pop("wall_time_s")  # the only machine-dependent number
    return result


def _single_engine_json() -> dict:
    """The report as the CLI built it before fleets existed: simulate, summarize, to_json."""
    args = build_parser("test").parse_args(RUN)
    setting = load_setting(args)
    requests, workload = build_workload(args)
    predictors = PredictorConfig(args.predictor_latency_s, args.priority_error_rate,
                                 args.length_error_rate)
    apply_predictions(requests, predictors, random.Random(f"predictions:{args.seed}"))
    limits = BatchLimits(args.max_num_seqs, args.max_num_batched_tokens)
    summaries = {name: metrics.summarize(simulate(requests, setting, make_policy(name), limits,
                                                  predictors.latency_s), args.slo)
                 for name in ("fcfs", "semantic")}
    workload.update(max_num_seqs=limits.max_num_seqs,
                    max_num_batched_tokens=limits.max_num_batched_tokens,
                    predictor_latency_s=predictors.latency_s,
                    priority_error_rate=predictors.priority_error_rate,
                    length_error_rate=predictors.length_error_rate)
    result = json.loads(json.dumps(report.to_json(setting.name, workload, summaries)))
    for summary in result["policies"].values():
        summary["overall"].pop("wall_time_s")
    return result


def test_the_default_run_is_todays_single_engine_json(tmp_path, capsys):
    default = _json(tmp_path, RUN, "default.json")
    one_replica = _json(tmp_path, RUN + ["--replicas", "1"], "one.json")
    out = capsys.readouterr().out
    assert "fleet" not in out and "per replica" not in out
    assert default == one_replica == _single_engine_json()
    assert list(default) == ["setting", "workload", "policies"]
    assert all(set(s) == {"overall", "per_priority"} for s in default["policies"].values())


@pytest.mark.parametrize("router", ["fifo", "semantic", "least-loaded"])
def test_a_fleet_json_has_the_fleet_and_one_entry_per_replica(tmp_path, capsys, router):
    result = _json(tmp_path, RUN + ["--replicas", "3", "--router", router])
    out = capsys.readouterr().out
    assert f"fleet: 3 replicas behind the {router} router" in out
    assert list(result) == ["setting", "workload", "fleet", "policies"]
    reserve = None if router == "least-loaded" else 4 + 2
    urgent_reserve = 2 if router == "semantic" else None
    assert result["fleet"] == {"replicas": 3, "router": router, "reserve": reserve,
                               "urgent_reserve": urgent_reserve}
    for summary in result["policies"].values():
        assert set(summary) == {"overall", "per_priority", "per_replica"}
        assert summary["overall"]["requests"] == 120 and summary["overall"]["unfinished"] == 0
        replicas = summary["per_replica"]
        assert len(replicas) == 3
        assert sum(r["requests"] for r in replicas) == 120
        for entry in replicas:
            assert {"requests", "throughput_req_s", "mean_latency_s"} <= set(entry)
            assert entry["requests"] > 0 and entry["mean_latency_s"] > 0
        assert sum(r["throughput_req_s"] for r in replicas) == \
               pytest.approx(summary["overall"]["throughput_req_s"])


def test_the_reserve_flags_reach_the_fleet(tmp_path, capsys):
    result = _json(tmp_path, RUN + ["--replicas", "2", "--router", "semantic", "--reserve", "5",
                                    "--urgent-reserve", "0"])
    capsys.readouterr()
    assert result["fleet"] == {"replicas": 2, "router": "semantic", "reserve": 5,
                               "urgent_reserve": 0}


def test_more_replicas_without_a_router_use_the_deployed_fifo_broker(tmp_path, capsys):
    result = _json(tmp_path, RUN + ["--replicas", "2"])
    capsys.readouterr()
    assert result["fleet"]["router"] == "fifo" and result["fleet"]["reserve"] == 6


def test_a_router_with_one_replica_is_a_fleet_of_one(tmp_path, capsys):
    result = _json(tmp_path, RUN + ["--router", "least-loaded"])
    capsys.readouterr()
    assert result["fleet"]["replicas"] == 1
    # least-loaded over one replica is the single engine: same figures, one replica entry.
    single = _single_engine_json()
    for name, summary in result["policies"].items():
        assert summary["overall"] == single["policies"][name]["overall"]
        assert summary["per_replica"][0]["requests"] == 120


def test_the_html_report_shows_the_fleet_and_its_replicas(tmp_path, capsys):
    path = tmp_path / "fleet.html"
    assert main(RUN + ["--replicas", "2", "--router", "semantic", "--html", str(path)]) == 0
    capsys.readouterr()
    page = path.read_text()
    assert "2 replicas behind the semantic router" in page
    assert "Calls taken per replica" in page and "Mean latency per replica" in page


BAD_FLAGS = {
    "zero replicas": (["--replicas", "0"], "--replicas"),
    "negative replicas": (["--replicas", "-3"], "--replicas"),
    "replicas not a number": (["--replicas", "many"], "--replicas"),
    "unknown router": (["--replicas", "2", "--router", "lottery"], "lottery"),
    "negative reserve": (["--replicas", "2", "--reserve", "-1"], "--reserve"),
    "zero reserve": (["--replicas", "2", "--reserve", "0"], "--reserve"),
    "negative urgent reserve": (["--replicas", "2", "--router", "semantic",
                                 "--urgent-reserve", "-1"], "--urgent-reserve"),
    "reserve without a broker": (["--replicas", "2", "--router", "least-loaded",
                                  "--reserve", "4"], "--reserve"),
    "urgent reserve under fifo": (["--replicas", "2", "--router", "fifo",
                                   "--urgent-reserve", "1"], "--urgent-reserve"),
    "reserve without a fleet": (["--reserve", "4"], "--reserve"),
}


@pytest.mark.parametrize("case", sorted(BAD_FLAGS))
def test_a_bad_fleet_flag_is_one_line_and_exit_2(tmp_path, capsys, case):
    flags, named = BAD_FLAGS[case]
    path = tmp_path / "out.json"
    assert main(RUN + flags + ["--json", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "error" in lines[0] and named in lines[0]
    assert not path.exists()
