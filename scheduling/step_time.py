"""How long one iteration of the batch takes, from what is in it.

    step = c2 + host_overhead                   one read of the weights, and the host's own
                                                time per iteration (scheduling, launches)
         + c1 * sum(context of each decode)     attention reads every decode's KV
         + per_decode * number of decodes       per-row work (sampling, small kernels)
         + sum over prefill chunks of a*p*(2s + p) + b*p + per_chunk
                                                p new tokens after s cached ones
         + kv_reload * swapped-in tokens        KV brought back from host memory

At batch size 1 a decode costs c1*c + c2, the reference's per-token formula, and an
unchunked prompt (s = 0) costs a*p^2 + b*p plus the one weight read c2 that the
reference left out of its prefill fit. The chunk term telescopes: chunks of a prompt
sum to a*P^2 + b*P whatever the split, so chunking changes when work is done, not how
much (attention of the new tokens to the cached ones is the 2s term). Unlike the reference,
batching is not free: every decode in the batch adds its context, every prefill chunk adds
its compute. The v2 terms (per decode, per chunk, host overhead) default to 0, so the
built-in settings keep their meaning; ``calibrate`` fits them on a real engine, where a
missing per-iteration host cost is known to make simulators under-predict latency.

This module is the one place a step's cost is computed: the simulator's executor, the
fidelity check, the prefill guard and the tests all call it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from scheduling.hardware import HardwareSetting
from scheduling.plan import StepPlan


@dataclass(frozen=True, slots=True)
class StepTimeModel:
    c1: float
    c2: float
    prefill_a: float
    prefill_b: float
    kv_reload_s_per_token: float
    per_decode_s: float = 0.0
    per_prefill_chunk_s: float = 0.0
    host_overhead_s: float = 0.0

    @classmethod
    def from_setting(cls, setting: HardwareSetting) -> StepTimeModel:
        return cls(setting.c1, setting.c2, setting.prefill_a, setting.prefill_b,
                   setting.kv_reload_s_per_token, setting.per_decode_s,
                   setting.per_prefill_chunk_s, setting.host_overhead_s)

    @property
    def iteration_s(self) -> float:
        """What every iteration costs whatever it holds."""
        return self.c2 + self.host_overhead_s

    def prefill_s(self, num_new_tokens: int, num_cached_tokens: int = 0) -> float:
        """Compute of one prefill chunk, without the per-iteration costs."""
        p = num_new_tokens
        return (self.prefill_a * p * (2 * num_cached_tokens + p) + self.prefill_b * p
                + self.per_prefill_chunk_s)

    def swap_in_s(self, num_tokens: int) -> float:
        return self.kv_reload_s_per_token * num_tokens

    def step_s(self, num_decodes: int, decode_context_tokens: int,
               prefill_chunks: Iterable[tuple[int, int]] = (), num_swapped_in_tokens: int = 0) -> float:
        """One iteration: ``num_decodes`` decodes attending to ``decode_context_tokens`` in all,
        and prefill chunks given as (new tokens, cached tokens)."""
        total = (self.iteration_s + self.c1 * decode_context_tokens
                 + self.per_decode_s * num_decodes)
        for num_new, num_cached in prefill_chunks:
            total += self.prefill_s(num_new, num_cached)
        if num_swapped_in_tokens:
            total += self.swap_in_s(num_swapped_in_tokens)
        return total

    def plan_s(self, plan: StepPlan) -> float:
        """One iteration of ``plan`` (``plan.num_iterations`` of them for a steady decode run)."""
        if plan.num_iterations > 1:
            return self.decode_run_s(len(plan.decodes), plan.decode_context_tokens, plan.num_iterations)
        total = self.step_s(len(plan.decodes), plan.decode_context_tokens,
                            num_swapped_in_tokens=plan.num_swapped_in_tokens)
        for chunk in plan.prefills:  # no tuple per chunk: most simulated steps are decode-only
            total += self.prefill_s(chunk.num_new_tokens, chunk.num_cached_tokens)
        return total

    def decode_run_s(self, num_decodes: int, context_sum: int, num_iterations: int) -> float:
        """Total time of ``num_iterations`` decode-only iterations of the same batch.

        Each iteration every context grows by one, so iteration j costs
        fixed + c1 * (context_sum + num_decodes * j): an arithmetic series.
        """
        k = num_iterations
        fixed = self.iteration_s + self.per_decode_s * num_decodes
        return k * fixed + self.c1 * (k * context_sum + num_decodes * k * (k - 1) / 2)

    def decode_iterations_to_reach(self, num_decodes: int, context_sum: int, horizon_s: float) -> int:
        """Fewest decode-only iterations whose total time is >= ``horizon_s`` (at least 1)."""
        if horizon_s <= 0:
            return 1
        # Solve (c1 R / 2) k^2 + (fixed + c1 C - c1 R / 2) k - H = 0 for k, then fix rounding.
        quad = self.c1 * num_decodes / 2
        lin = self.iteration_s + self.per_decode_s * num_decodes + self.c1 * context_sum - quad
        if quad > 0:
            k = (-lin + math.sqrt(lin * lin + 4 * quad * horizon_s)) / (2 * quad)
        elif lin > 0:
            k = horizon_s / lin
        else:
            raise ValueError("a step-time model with zero cost cannot advance the clock")
        k = max(1, math.ceil(k))
        while k > 1 and self.decode_run_s(num_decodes, context_sum, k - 1) >= horizon_s:
            k -= 1
        while self.decode_run_s(num_decodes, context_sum, k) < horizon_s:
            k += 1
        return k
