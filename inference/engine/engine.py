"""The continuous-batching loop: the simulator's ``Scheduler`` deciding, a torch model computing.

Each ``step``, the same contract as the simulator's::

    plan = scheduler.schedule(now)                 # same Scheduler, policies and KV accounting
    outcome = executor.run(plan)                   # TorchExecutor: the real model
    update = scheduler.update(plan, outcome, now)  # what started and what finished

The engine cannot know a request's output length in advance, so its scheduling ``Request``
gets ``output_tokens = max_new_tokens``; a request whose new token is end-of-sequence is in
``outcome.stopped_ids``, and ``update`` finishes it there.

Times are seconds from the engine's construction on ``clock`` (inject a fake one in tests).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Sequence

import torch
from transformers import PreTrainedModel

from inference.engine.engine_request import EngineRequest
from inference.engine.records import QueueSnapshot, StepRecord, plan_shape
from inference.engine.streaming import IncrementalDetokenizer, TokenEvent, Tokenizer
from inference.engine.torch_executor import TorchExecutor
from scheduling.executor import StepOutcome
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits
from scheduling.policies import Policy, make_policy
from scheduling.request import NUM_PRIORITIES, Request, RequestStatus
from scheduling.scheduler import Scheduler


class Engine:
    """Serves generation requests with ``model`` under ``policy`` within ``limits`` and a KV
    budget of ``kv_capacity_tokens`` (rounded down to whole blocks). Greedy decoding."""

    def __init__(self, model: PreTrainedModel, tokenizer: Tokenizer | None, policy: Policy | str,
                 limits: BatchLimits, kv_capacity_tokens: int, block_size: int = 16,
                 device: torch.device | str | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 eos_token_ids: Iterable[int] | None = None) -> None:
        if kv_capacity_tokens < block_size:
            raise ValueError(f"kv_capacity_tokens ({kv_capacity_tokens}) must hold at least one "
                             f"block of {block_size} tokens")
        self.tokenizer = tokenizer
        self.policy = make_policy(policy) if isinstance(policy, str) else policy
        self.kv = KVCache(kv_capacity_tokens // block_size, block_size)
        # Recompute only: the executor drops a preempted request's KV (see torch_executor).
        self.scheduler = Scheduler(self.policy, self.kv, limits, preemption_mode="recompute")
        self.eos_token_ids = frozenset(eos_token_ids if eos_token_ids is not None
                                       else _default_eos_token_ids(model, tokenizer))
        self.executor = TorchExecutor(model, device, self.eos_token_ids, clock)
        self.clock = clock
        self._start = clock()
        self.requests: dict[int, EngineRequest] = {}
        self.step_records: list[StepRecord] = []
        self._request_ids = itertools.count()

    # -- intake ---------------------------------------------------------------------

    def add_request(self, prompt: str | Sequence[int], *, priority: int, max_new_tokens: int,
                    predicted_output_tokens: int | None = None, request_id: int | None = None,
                    on_token: Callable[[TokenEvent], None] | None = None) -> EngineRequest:
        """Queue a prompt (text, or token ids) at urgency ``priority`` (0 most urgent).

        ``predicted_output_tokens`` is what length-aware policies rank by (default: the cap; a
        prediction above the cap is cut to it, since no reply can run longer).
        Raises ValueError for a bad argument or a request the KV budget could never hold.
        """
        prompt_ids = self._encode(prompt)
        if request_id is None:
            request_id = next(i for i in self._request_ids if i not in self.requests)
        elif request_id in self.requests:
            raise ValueError(f"request_id {request_id} is already in use")
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        if predicted_output_tokens is None or predicted_output_tokens > max_new_tokens:
            predicted_output_tokens = max_new_tokens
        request = Request(request_id, self._now(), len(prompt_ids), max_new_tokens, priority,
                          predicted_output_tokens=predicted_output_tokens)
        self.scheduler.add_request(request)
        self.executor.add(request_id, prompt_ids)
        engine_request = EngineRequest(request, prompt_ids, IncrementalDetokenizer(self.tokenizer),
                                       on_token)
        self.requests[request_id] = engine_request
        return engine_request

    def reprioritise(self, request_id: int, priority: int) -> None:
        """Rank an unfinished request at ``priority`` from the next step on (an override)."""
        engine_request = self._unfinished(request_id)
        self.scheduler.reprioritise(engine_request.request, priority)

    def forget(self, request_id: int) -> EngineRequest:
        """Drop a finished request once its result has been taken (a long-lived engine
        would otherwise keep every request it ever served)."""
        engine_request = self.requests[request_id]
        if not engine_request.is_finished:
            raise ValueError(f"request {request_id} has not finished")
        return self.requests.pop(request_id)

    def queue_snapshot(self) -> QueueSnapshot:
        """Waiting and running requests per urgency level, and KV use, right now."""
        waiting = [0] * NUM_PRIORITIES
        running = [0] * NUM_PRIORITIES
        for engine_request in self.requests.values():
            request = engine_request.request
            if request.status is RequestStatus.WAITING:
                waiting[request.predicted_priority] += 1
            elif request.status is RequestStatus.RUNNING:
                running[request.predicted_priority] += 1
        return QueueSnapshot(tuple(waiting), tuple(running), self.kv.num_used_blocks, self.kv.num_blocks)

    @property
    def has_work(self) -> bool:
        return self.scheduler.has_work

    # -- the loop -------------------------------------------------------------------

    def step(self) -> StepRecord | None:
        """Run one iteration; None when there was nothing to do."""
        if not self.scheduler.has_work:
            return None
        started = self.clock()
        plan = self.scheduler.schedule(self._now(started))
        num_kv_blocks_used = self.kv.num_used_blocks
        shape = plan_shape(plan)
        scheduled = self.clock()
        outcome = self.executor.run(plan)
        computed = self.clock()
        update = self.scheduler.update(plan, outcome, self._now(computed))
        produced = self._append_tokens(outcome)
        for request in update.finished:
            self.executor.drop(request.request_id)
        updated = self.clock()
        for engine_request, token_id in produced:
            engine_request.emit(token_id)
        record = StepRecord(
            time_s=self._now(computed), batch_size=len(plan.decodes) + len(plan.prefills),
            num_prefill_tokens=sum(chunk.num_new_tokens for chunk in plan.prefills),
            num_decode_tokens=len(plan.decodes), num_kv_blocks_used=num_kv_blocks_used,
            num_kv_blocks=self.kv.num_blocks, step_s=computed - scheduled,
            scheduler_s=(scheduled - started) + (updated - computed),
            num_preempted=len(plan.preempted), num_finished=len(update.finished),
            num_waiting=len(self.scheduler.waiting), num_output_tokens=len(produced),
            decode_contexts=shape[0], prefill_chunks=shape[1],
            started_ids=tuple(r.request_id for r in update.started),
            finished_ids=tuple(r.request_id for r in update.finished))
        self.step_records.append(record)
        return record

    def run_until_idle(self, max_steps: int | None = None) -> list[StepRecord]:
        """Step until every request has finished (or ``max_steps`` ran); return the records."""
        records: list[StepRecord] = []
        while max_steps is None or len(records) < max_steps:
            record = self.step()
            if record is None:
                break
            records.append(record)
        return records

    # -- helpers --------------------------------------------------------------------

    def _unfinished(self, request_id: int) -> EngineRequest:
        engine_request = self.requests.get(request_id)
        if engine_request is None or engine_request.is_finished:
            raise KeyError(f"no unfinished request {request_id}")
        return engine_request

    def _now(self, at: float | None = None) -> float:
        return (self.clock() if at is None else at) - self._start

    def _encode(self, prompt: str | Sequence[int]) -> list[int]:
        if isinstance(prompt, str):
            if self.tokenizer is None:
                raise ValueError("a text prompt needs a tokenizer; pass token ids instead")
            return list(self.tokenizer.encode(prompt))
        return [int(token_id) for token_id in prompt]

    def _append_tokens(self, outcome: StepOutcome) -> list[tuple[EngineRequest, int]]:
        """Append each new token to its request; note why a finished request stopped."""
        produced = []
        for request_id, token_id in outcome.new_token_ids.items():
            if token_id is None:
                continue
            engine_request = self.requests[request_id]
            engine_request.token_ids.append(token_id)
            if engine_request.is_finished:
                engine_request.finish_reason = "eos" if request_id in outcome.stopped_ids else "length"
            produced.append((engine_request, token_id))
        return produced


def _default_eos_token_ids(model: PreTrainedModel, tokenizer: Tokenizer | None) -> list[int]:
    """The model's generation config decides, as in ``generate``; else the tokenizer's."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None and tokenizer is not None:
        eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        return []
    return [eos] if isinstance(eos, int) else list(eos)
