"""Simulator calibration: time the real engine on designed steps, fit the step-time coefficients
(c1, c2, prefill_a, prefill_b), and write them as a setting file the simulator loads.

Modules: ``steps`` (what an iteration held and took), ``design`` (the probes and running them),
``fit`` (numpy-only NNLS and fit quality), ``setting_file`` (the YAML), ``run`` (one calibration).

What the simulator's model (c2 + c1 x sum of decode contexts + prefill terms, per step)
leaves out, for this engine: the batched decode attends over a rectangle, batch size x
longest context with the shorter rows masked, not over the sum of contexts; on a CPU each
decoded token also costs its share of the matrix multiplies, a term per token rather than per
context token (a GPU at small batch hides it); and every prefill chunk is a forward pass of
its own, paying a fixed cost the model charges once per step. ``run`` fits two diagnostic
models with those terms beside the simulator's, so the report shows how much they matter,
and writes the simulator's coefficients fitted for latency (see ``fit``). Measured figures
are in docs/BENCHMARKS.md ("Simulator calibration and fidelity").
"""

from inference.calibration.design import Probe, ProbeRequest, design, run_probes
from inference.calibration.fit import Fit, fit_step_time, format_fit, nnls
from inference.calibration.run import DEFAULT_KV_CAPACITY_TOKENS, Calibration, run_calibration
from inference.calibration.setting_file import setting_mapping, write_setting_file
from inference.calibration.steps import StepSample

__all__ = ["DEFAULT_KV_CAPACITY_TOKENS", "Calibration", "Fit", "Probe", "ProbeRequest", "StepSample",
           "design", "fit_step_time", "format_fit", "nnls", "run_calibration", "run_probes",
           "setting_mapping", "write_setting_file"]
