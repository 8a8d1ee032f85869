"""The designed set of engine steps to time, and running it on the real ``Engine``.

A probe is a handful of requests fed to a fresh engine (some join after a given number of
steps), with a token budget that shapes the plans: a budget of c tokens cuts a long prompt
into prefill chunks of c after 0, c, 2c, ... cached tokens; a large budget prefills every
prompt at once and then decodes them together. Three families cover the step-time terms:

- prefill: one long prompt chunked at several sizes (p after s cached), and whole prompts;
- decode: batches of 1..16 with equal, spread and very unequal contexts (the engine pads a
  batch to its longest context, so unequal batches tell sum-of-contexts and padding apart);
- mixed: decoding batches that a new prompt joins (a prefill chunk and decodes in one step);
- stream: requests joining every few steps and leaving as they finish, as in serving, so the
  batch sizes, contexts, mixed steps and the executor's own state (its KV buffer grows and
  rows move as requests leave) are those a served workload brings.

Prefill is chunked at ``SERVING_BUDGET`` tokens a step throughout, as a server would: a step
prefilling sixteen prompts at once never happens in serving and would only distort the fit.

Prompts are random token ids and end-of-sequence is ignored, so every request runs to its
``max_new_tokens`` and the plans are the designed ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inference.calibration.steps import StepSample, samples_from
from scheduling.plan import BatchLimits

BLOCK_SIZE = 16
SERVING_BUDGET = 256
"""Tokens per step in the decode, mixed and stream probes (the fidelity replay's default)."""


@dataclass(frozen=True)
class ProbeRequest:
    prompt_tokens: int
    max_new_tokens: int
    join_at_step: int = 0
    """Added to the engine just before this step (0: before the first)."""


@dataclass(frozen=True)
class Probe:
    family: str
    requests: tuple[ProbeRequest, ...]
    max_num_batched_tokens: int
    max_num_seqs: int = 0
    """0: room for every request of the probe at once."""

    def num_kv_tokens(self, block_size: int) -> int:
        """KV the probe can hold at once, in whole blocks per request (an upper bound)."""
        return sum(-(-(r.prompt_tokens + r.max_new_tokens) // block_size) * block_size
                   for r in self.requests)


def _prefill_probes(prompt_tokens: int, chunk_sizes: Sequence[int],
                    whole_prompts: Sequence[int]) -> list[Probe]:
    chunked = [Probe("prefill", (ProbeRequest(prompt_tokens, 1),), c) for c in chunk_sizes]
    whole = [Probe("prefill", (ProbeRequest(p, 1),), max(p, 16)) for p in whole_prompts]
    return chunked + whole


def _decode_probes(batch_sizes: Sequence[int], shapes: dict[str, Callable[[int], list[int]]],
                   max_new_tokens: int) -> list[Probe]:
    probes = []
    for batch in batch_sizes:
        for shape in shapes.values():
            lengths = shape(batch)
            requests = tuple(ProbeRequest(n, max_new_tokens) for n in lengths)
            probes.append(Probe("decode", requests, max(SERVING_BUDGET, batch)))
    return probes


def _mixed_probes(batch_sizes: Sequence[int], join_prompts: Sequence[int],
                  base_prompt_tokens: int, num_steps: int) -> list[Probe]:
    probes = []
    for batch in batch_sizes:
        for join in join_prompts:
            base = tuple(ProbeRequest(base_prompt_tokens, num_steps) for _ in range(batch))
            joins = tuple(ProbeRequest(join, 2, join_at_step=step)
                          for step in range(2, num_steps - 2, 3))
            probes.append(Probe("mixed", base + joins, max(SERVING_BUDGET, join + batch)))
    return probes


def _stream_probe(num_requests: int, join_every: int, max_num_seqs: int) -> Probe:
    """Prompts of 48..128 tokens and outputs of 20..32, one joining every ``join_every`` steps."""
    prompts, outputs = (48, 80, 112, 64, 96, 128), (32, 24, 28, 20)
    requests = tuple(ProbeRequest(prompts[i % len(prompts)], outputs[i % len(outputs)],
                                  join_at_step=i * join_every) for i in range(num_requests))
    return Probe("stream", requests, SERVING_BUDGET, max_num_seqs)


def _spread(batch: int, low: int, high: int) -> list[int]:
    if batch == 1:
        return [(low + high) // 2]
    return [low + (high - low) * i // (batch - 1) for i in range(batch)]


def design(quick: bool = False) -> list[Probe]:
    """The probes to time: about 900 steps, or about 110 with ``quick``."""
    if quick:
        return (_prefill_probes(256, (32, 128), (48, 200))
                + _decode_probes((1, 4, 12), {"equal": lambda b: [64] * b,
                                              "unequal": lambda b: [320] + [40] * (b - 1)}, 5)
                + _mixed_probes((4,), (96,), 80, 8)
                + [_stream_probe(8, 4, 8)])
    shapes: dict[str, Callable[[int], list[int]]] = {
        "equal-short": lambda b: [48] * b,
        "equal-long": lambda b: [320] * b,
        "spread": lambda b: _spread(b, 32, 256),
        "unequal": lambda b: [400] + [40] * (b - 1),
    }
    return (_prefill_probes(512, (16, 48, 128, 256), (24, 96, 200, 400))
            + _decode_probes((1, 2, 4, 8, 16), shapes, 8)
            + _mixed_probes((2, 8), (32, 160), 96, 12)
            + [_stream_probe(24, every, 8) for every in (3, 6, 12)])


def run_probes(make_engine: Callable[[BatchLimits], object], probes: Sequence[Probe], *,
               vocab_size: int, seed: int = 0, include_scheduler: bool = True,
               on_probe: Callable[[int, int], None] | None = None) -> list[StepSample]:
    """Run every probe on a fresh engine from ``make_engine(limits)``; return its timed steps.

    ``make_engine`` must build an ``Engine`` that ignores end-of-sequence (``eos_token_ids=()``)
    and holds every probe's tokens in its KV budget.
    """
    rng = random.Random(seed)
    samples: list[StepSample] = []
    for index, probe in enumerate(probes):
        num_seqs = probe.max_num_seqs or len(probe.requests)
        limits = BatchLimits(max_num_seqs=num_seqs,
                             max_num_batched_tokens=max(probe.max_num_batched_tokens, num_seqs))
        engine = make_engine(limits)
        pending = sorted(probe.requests, key=lambda r: r.join_at_step)
        num_steps = 0
        while pending or engine.has_work:
            while pending and pending[0].join_at_step <= num_steps:
                request = pending.pop(0)
                # Ids away from the bottom of the vocabulary, where special tokens live.
                prompt = [rng.randrange(vocab_size // 4, vocab_size) for _ in range(request.prompt_tokens)]
                engine.add_request(prompt, priority=2, max_new_tokens=request.max_new_tokens)
            engine.step()
            num_steps += 1
        samples += samples_from(engine.step_records, include_scheduler=include_scheduler)
        if on_probe is not None:
            on_probe(index + 1, len(probes))
    return samples
