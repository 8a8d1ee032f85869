"""Calibration: the fit recovers known coefficients, steps pair with their plans, the file loads."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from inference.calibration import (Probe, ProbeRequest, StepSample, fit_step_time, nnls,
                                   run_calibration, setting_mapping, write_setting_file)
from inference.calibration.setting_file import model_sizes
from scheduling.cli import main as scheduling_cli
from scheduling.hardware import load_setting_file

KNOWN = {"c2": 0.02, "c1": 3e-6, "prefill_a": 2e-8, "prefill_b": 4e-4}


def synthetic_samples(duration, seed: int = 0) -> list[StepSample]:
    """Decode, prefill and mixed steps of varied shapes, timed by ``duration(sample)``."""
    rng = random.Random(seed)
    shapes = []
    for _ in range(60):
        contexts = tuple(rng.randint(10, 600) for _ in range(rng.choice([0, 1, 3, 8])))
        chunks = tuple((rng.randint(1, 300), rng.choice([0, 0, 64, 200]))
                       for _ in range(rng.choice([0, 0, 1, 2])))
        if contexts or chunks:
            shapes.append((contexts, chunks))
    samples = [StepSample(contexts, chunks, 1.0) for contexts, chunks in shapes]
    return [StepSample(s.decode_contexts, s.prefill_chunks, duration(s)) for s in samples]


def simulator_time(s: StepSample) -> float:
    return (KNOWN["c2"] + KNOWN["c1"] * s.decode_context_tokens
            + KNOWN["prefill_a"] * s.prefill_quadratic_tokens + KNOWN["prefill_b"] * s.num_prefill_tokens)


@pytest.mark.parametrize("weighting", ["latency", "relative", "absolute"])
def test_the_fit_recovers_known_coefficients_exactly(weighting):
    fit = fit_step_time(synthetic_samples(simulator_time), weighting=weighting)
    for name, value in KNOWN.items():
        assert fit.coefficients[name] == pytest.approx(value, rel=1e-8)
    assert fit.r2 == pytest.approx(1.0)
    assert set(fit.per_kind) == {"decode", "prefill", "mixed"}
    assert all(q.mean_relative_error < 1e-8 for q in fit.per_kind.values())


def test_nnls_clips_a_coefficient_that_least_squares_makes_negative():
    x = np.arange(1.0, 11.0)
    matrix = np.column_stack([np.ones_like(x), x])
    target = 5.0 - 0.3 * x  # unconstrained: slope -0.3
    solution = nnls(matrix, target)
    assert solution[1] == 0.0
    assert solution[0] == pytest.approx(target.mean())


def test_nnls_matches_a_brute_force_search_on_random_problems():
    rng = np.random.default_rng(1)
    for _ in range(20):
        matrix, target = rng.normal(size=(12, 3)), rng.normal(size=12)
        solution = nnls(matrix, target)
        assert np.all(solution >= 0)
        # No feasible point on a grid around it does better.
        best = np.sum((matrix @ solution - target) ** 2)
        for step in itertools.product((-0.01, 0.0, 0.01), repeat=3):
            candidate = np.maximum(solution + np.array(step), 0.0)
            assert np.sum((matrix @ candidate - target) ** 2) >= best - 1e-12


def test_padded_decodes_are_told_apart_from_summed_contexts():
    def padded_time(s: StepSample) -> float:
        return 0.01 + 2e-6 * s.padded_decode_tokens + 3e-4 * s.num_prefill_tokens
    samples = synthetic_samples(padded_time)
    padded, summed = fit_step_time(samples, "padded-decode"), fit_step_time(samples, "simulator")
    assert padded.r2 == pytest.approx(1.0)
    assert padded.per_kind["decode"].mean_relative_error < 1e-8
    assert summed.per_kind["decode"].mean_relative_error > 0.02


@pytest.mark.parametrize("kv_capacity_tokens", [16, 1000, 8192, 123457])
def test_the_written_setting_loads_with_the_engines_kv_capacity(tmp_path, tiny_model, kv_capacity_tokens):
    sizes = model_sizes(tiny_model.config, sum(p.numel() for p in tiny_model.parameters()))
    mapping = setting_mapping(name="tiny_cpu", description="tiny", sizes=sizes, coefficients=KNOWN,
                              kv_capacity_tokens=kv_capacity_tokens, block_size=16,
                              sources=["a test"])
    path = write_setting_file(tmp_path / "tiny_cpu.yaml", mapping, header="calibrated in a test")
    setting = load_setting_file(path)
    assert setting.kv_capacity_tokens == kv_capacity_tokens // 16 * 16
    assert (setting.c1, setting.c2, setting.prefill_a, setting.prefill_b) == \
        (KNOWN["c1"], KNOWN["c2"], KNOWN["prefill_a"], KNOWN["prefill_b"])
    assert setting.preemption_mode == "recompute" and setting.kv_hidden_size == 16
    assert path.read_text().startswith("# calibrated in a test\n")


def test_simulate_accepts_the_written_setting(tmp_path, tiny_model, capsys):
    sizes = model_sizes(tiny_model.config, sum(p.numel() for p in tiny_model.parameters()))
    mapping = setting_mapping(name="tiny_cpu", description="tiny", sizes=sizes, coefficients=KNOWN,
                              kv_capacity_tokens=4096, block_size=16, sources=["a test"])
    path = write_setting_file(tmp_path / "tiny_cpu.yaml", mapping)
    status = scheduling_cli(["simulate", "--setting-file", str(path), "--policy", "fcfs",
                             "--workload", "poisson", "--rate", "2", "--num-requests", "30",
                             "--no-progress"])
    assert status == 0
    assert "setting tiny_cpu: KV cache 4096 tokens" in capsys.readouterr().out


def test_every_timed_step_is_paired_with_the_plan_it_ran(tiny_model):
    probes = [Probe("prefill", (ProbeRequest(64, 1),), 16),
              Probe("decode", (ProbeRequest(5, 4), ProbeRequest(9, 4), ProbeRequest(20, 4)), 64),
              Probe("mixed", (ProbeRequest(8, 5), ProbeRequest(8, 5),
                              ProbeRequest(12, 2, join_at_step=2)), 64)]
    calibration = run_calibration(tiny_model, device="cpu", probes=probes, kv_capacity_tokens=512)
    shapes = [(s.decode_contexts, s.prefill_chunks) for s in calibration.samples]
    assert shapes == [
        ((), ((16, 0),)), ((), ((16, 16),)), ((), ((16, 32),)), ((), ((16, 48),)),
        ((), ((5, 0), (9, 0), (20, 0))), ((6, 10, 21), ()), ((7, 11, 22), ()), ((8, 12, 23), ()),
        ((), ((8, 0), (8, 0))), ((9, 9), ()), ((10, 10), ((12, 0),)), ((11, 11, 13), ()), ((12, 12), ()),
    ]
    assert all(s.duration_s > 0 for s in calibration.samples)
    assert calibration.chosen.model == "simulator"
    setting = calibration.setting(name="tiny", model_label="tiny-llama")
    assert setting["kv_hidden_size"] == 16 and setting["num_layers"] == 2
    assert any("R2" in line for line in setting["sources"])


def test_a_kv_budget_too_small_for_the_probes_is_refused(tiny_model):
    with pytest.raises(ValueError, match="kv_capacity_tokens must be >= "):
        run_calibration(tiny_model, device="cpu", quick=True, kv_capacity_tokens=64)
