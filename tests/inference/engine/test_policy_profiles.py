"""The engine's policy per hardware: semantic-guard caps the batch around urgent decodes on a CPU."""

from __future__ import annotations

import pytest

from inference.engine.policy_profiles import device_profile, engine_policy


def test_the_engines_cpu_profile_caps_the_batch_and_the_gpu_profile_does_not():
    cpu = engine_policy("semantic-guard", device_profile("cpu"))
    gpu = engine_policy("semantic-guard", device_profile("cuda:0"))
    assert (cpu.urgent_batch_cap, cpu.guard_tokens) == (0, 0)
    assert gpu.urgent_batch_cap is None and gpu.guard_tokens > 0
    assert engine_policy("semantic", "cpu").name == "semantic"
    assert engine_policy("semantic-guard", "cpu") is not cpu  # fresh per engine
    with pytest.raises(ValueError, match="unknown hardware profile 'tpu'"):
        engine_policy("semantic-guard", "tpu")
