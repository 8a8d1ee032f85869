"""The engine's scheduling policy, tuned to the hardware it runs on.

What an urgent call experiences is decided by what shares its iterations, and that costs
differently by hardware. On a GPU a decode step is memory-bound: a batch of 8 costs about what
one sequence does, so sharing is nearly free. On a CPU it is compute-bound: a decode of 8
sequences takes about twice one alone, and every prefill chunk is a forward pass of its own
costing about three single decodes (docs/BENCHMARKS.md, "Real engine"). So on a CPU
``semantic-guard`` lets class-0 decodes run alone, with no other prefill in their iterations,
and the rest resume between them (their KV is kept); on a GPU it keeps its defaults.
"""

from __future__ import annotations

from scheduling.policies import Policy, make_policy

PROFILES: dict[str, dict[str, dict]] = {
    "cpu": {"semantic-guard": {"urgent_batch_cap": 0, "guard_tokens": 0}},
    "gpu": {},
}


def device_profile(device: str) -> str:
    """"cpu" for a CPU device, else "gpu"."""
    return "cpu" if str(device).split(":")[0] == "cpu" else "gpu"


def engine_policy(name: str, profile: str) -> Policy:
    """A fresh policy ``name`` with ``profile``'s options for it (policies keep per-run state)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown hardware profile {profile!r}; choose from {', '.join(PROFILES)}")
    return make_policy(name, **PROFILES[profile].get(name, {}))
