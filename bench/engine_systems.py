"""The systems ``engine_bench`` compares, each serving the same timed requests on one model.

Every runner takes requests with arrival offsets (all 0 for an offline batch), submits each
at its arrival time as measured from the run's start, and returns when it first knew each
request was complete. Latency is that time minus the request's *scheduled* arrival, so time
a request spends waiting for a busy loop to notice it counts against the system.

- ``run_engine``: our ``Engine`` (one thread: between steps it admits what has arrived).
- ``run_hf_continuous``: transformers' ``ContinuousBatchingManager`` (``generate_batch`` is a
  thin wrapper over it); its generation thread runs while this thread submits and collects.
- ``run_static``: padded ``model.generate`` on batches of up to ``max_num_seqs`` requests in
  arrival order; a batch starts when the previous one ends, and all of its requests finish
  when it does (static batching returns the whole batch at once).

All decode greedily with the same ``max_new_tokens`` and stop at the model's end-of-sequence.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import ContinuousBatchingConfig, GenerationConfig, PreTrainedModel

from inference.engine import Engine, EngineRequest, StepRecord, scheduler_overhead_share
from scheduling.plan import BatchLimits


@dataclass(frozen=True)
class TimedRequest:
    index: int
    priority: int
    prompt_ids: tuple[int, ...]
    arrival_s: float
    """Seconds after the run starts."""
    predicted_output_tokens: int | None = None
    """What our engine's length-aware policies rank by (None: the cap)."""


@dataclass(frozen=True)
class ServeConfig:
    """What every system gets alike."""

    limits: BatchLimits
    kv_capacity_tokens: int
    max_new_tokens: int
    eos_token_id: int
    pad_token_id: int


@dataclass
class RunResult:
    wall_s: float
    """From the start to the last completion."""
    outputs: dict[int, list[int]]
    """Generated token ids per request index, up to and including end-of-sequence."""
    latency_s: dict[int, float]
    """Completion time minus scheduled arrival, per request index."""
    scheduler_share: float | None = None
    """Our engine only: engine-side time over busy time (``scheduler_overhead_share``)."""
    num_steps: int = 0
    step_records: list[StepRecord] | None = None
    """Our engine only: its per-iteration records."""
    spans_s: dict[int, tuple[float, float, float]] | None = None
    """Our engine only, per request index: (arrival, first scheduled, finish) on the engine's clock."""

    @property
    def num_output_tokens(self) -> int:
        return sum(len(tokens) for tokens in self.outputs.values())


def run_engine(model: PreTrainedModel, policy: str, requests: Sequence[TimedRequest],
               config: ServeConfig) -> RunResult:
    engine = Engine(model, None, policy, config.limits, config.kv_capacity_tokens,
                    eos_token_ids=[config.eos_token_id])
    pending = sorted(requests, key=lambda r: (r.arrival_s, r.index))
    live: dict[int, EngineRequest] = {}
    done: dict[int, float] = {}
    outputs: dict[int, list[int]] = {}
    spans: dict[int, tuple[float, float, float]] = {}
    started = time.perf_counter()
    next_arrival = 0
    while next_arrival < len(pending) or engine.has_work:
        now = time.perf_counter() - started
        while next_arrival < len(pending) and pending[next_arrival].arrival_s <= now:
            request = pending[next_arrival]
            live[request.index] = engine.add_request(list(request.prompt_ids), priority=request.priority,
                                                     max_new_tokens=config.max_new_tokens,
                                                     predicted_output_tokens=request.predicted_output_tokens)
            next_arrival += 1
        if not engine.has_work:
            time.sleep(max(0.0, pending[next_arrival].arrival_s - now))
            continue
        record = engine.step()
        if record is not None and record.num_finished:
            finished_at = time.perf_counter() - started
            for index in [i for i, r in live.items() if r.is_finished]:
                done[index] = finished_at
                request = live.pop(index)
                outputs[index] = request.output_token_ids
                spans[index] = (request.request.arrival_time_s, request.request.first_scheduled_time_s,
                                request.request.finish_time_s)
    wall_s = time.perf_counter() - started
    return RunResult(wall_s, outputs, _latencies(requests, done),
                     scheduler_overhead_share(engine.step_records), len(engine.step_records),
                     engine.step_records, spans)


def run_hf_continuous(model: PreTrainedModel, requests: Sequence[TimedRequest],
                      config: ServeConfig, page_size: int) -> RunResult:
    """transformers' continuous batching with our limits: ``max_requests_per_batch`` =
    ``max_num_seqs``, ``max_batch_tokens`` = ``max_num_batched_tokens``, and as many pages as
    our KV budget holds. Prefix sharing is off (our engine has none, and it would let identical
    system prompts skip work); CUDA graphs and async batching are off (CPU)."""
    generation_config = _generation_config(config)
    cb_config = ContinuousBatchingConfig(
        page_size=page_size, num_blocks=max(1, config.kv_capacity_tokens // page_size),
        max_batch_tokens=config.limits.max_num_batched_tokens,
        max_requests_per_batch=config.limits.max_num_seqs, allow_block_sharing=False,
        use_cuda_graph=False, use_async_batching=False)
    manager = model.init_continuous_batching(generation_config=generation_config,
                                             continuous_batching_config=cb_config)
    manager.start()
    try:
        while manager.batch_processor is None:  # its KV pool is allocated on the thread: not timed
            if not manager.is_running():
                raise RuntimeError("transformers' continuous batching thread died at start-up")
            time.sleep(0.001)
        return _serve_hf_continuous(manager, requests, config)
    finally:
        manager.stop(block=True)
        manager.destroy()


def _serve_hf_continuous(manager, requests: Sequence[TimedRequest], config: ServeConfig) -> RunResult:
    pending = sorted(requests, key=lambda r: (r.arrival_s, r.index))
    done: dict[int, float] = {}
    outputs: dict[int, list[int]] = {}
    started = time.perf_counter()
    next_arrival = 0
    while len(done) < len(pending):
        now = time.perf_counter() - started
        while next_arrival < len(pending) and pending[next_arrival].arrival_s <= now:
            request = pending[next_arrival]
            manager.add_request(list(request.prompt_ids), request_id=str(request.index),
                                max_new_tokens=config.max_new_tokens)
            next_arrival += 1
        wait_s = pending[next_arrival].arrival_s - now if next_arrival < len(pending) else 1.0
        result = manager.get_result(timeout=max(wait_s, 1e-4))
        if result is None:
            if not manager.is_running():
                raise RuntimeError("transformers' continuous batching thread stopped early")
            continue
        if result.is_finished():
            if result.error is not None:
                raise RuntimeError(f"request {result.request_id} failed: {result.error}")
            index = int(result.request_id)
            done[index] = time.perf_counter() - started
            outputs[index] = _cut_at_eos(list(result.generated_tokens), config.eos_token_id)
    wall_s = time.perf_counter() - started
    return RunResult(wall_s, outputs, _latencies(requests, done))


def run_static(model: PreTrainedModel, requests: Sequence[TimedRequest], config: ServeConfig) -> RunResult:
    pending = sorted(requests, key=lambda r: (r.arrival_s, r.index))
    generation_config = _generation_config(config)
    done: dict[int, float] = {}
    outputs: dict[int, list[int]] = {}
    started = time.perf_counter()
    next_request = 0
    while next_request < len(pending):
        now = time.perf_counter() - started
        if pending[next_request].arrival_s > now:
            time.sleep(pending[next_request].arrival_s - now)
            continue
        batch = [r for r in pending[next_request:next_request + config.limits.max_num_seqs]
                 if r.arrival_s <= now]
        next_request += len(batch)
        for request, tokens in zip(batch, _generate_padded(model, batch, generation_config, config)):
            outputs[request.index] = tokens
        finished_at = time.perf_counter() - started
        for request in batch:
            done[request.index] = finished_at
    wall_s = time.perf_counter() - started
    return RunResult(wall_s, outputs, _latencies(requests, done))


@torch.inference_mode()
def _generate_padded(model: PreTrainedModel, batch: Sequence[TimedRequest],
                     generation_config: GenerationConfig, config: ServeConfig) -> list[list[int]]:
    longest = max(len(r.prompt_ids) for r in batch)
    input_ids = torch.full((len(batch), longest), config.pad_token_id, dtype=torch.long)
    attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
    for row, request in enumerate(batch):  # left padding: every row's last token is its own
        input_ids[row, longest - len(request.prompt_ids):] = torch.tensor(request.prompt_ids)
        attention_mask[row, longest - len(request.prompt_ids):] = 1
    generated = model.generate(input_ids=input_ids.to(model.device),
                               attention_mask=attention_mask.to(model.device),
                               generation_config=generation_config)
    return [_cut_at_eos(row[longest:].tolist(), config.eos_token_id) for row in generated]


def _generation_config(config: ServeConfig) -> GenerationConfig:
    return GenerationConfig(max_new_tokens=config.max_new_tokens, do_sample=False,
                            eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id)


def _cut_at_eos(tokens: list[int], eos_token_id: int) -> list[int]:
    """The useful output: up to and including the first end-of-sequence (the rest is padding)."""
    return tokens[:tokens.index(eos_token_id) + 1] if eos_token_id in tokens else tokens


def _latencies(requests: Sequence[TimedRequest], done: dict[int, float]) -> dict[int, float]:
    return {r.index: done[r.index] - r.arrival_s for r in requests}
