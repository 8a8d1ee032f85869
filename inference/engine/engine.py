"""The continuous-batching loop: the simulator's ``Scheduler`` deciding, a torch model computing.

Each ``step``::

    plan = scheduler.schedule(now)                 # same Scheduler, policies and KV accounting
    new_tokens = executor.run(plan)                # TorchExecutor: the real model
    finished = scheduler.update(plan, now_after, step_s)

The engine cannot know a request's output length in advance, so its scheduling ``Request``
gets ``output_tokens = max_new_tokens``; when a step produces an end-of-sequence token,
``output_tokens`` is cut to the count that includes it *before* ``update``, whose finish test
(``num_output_tokens >= output_tokens`` after counting the new token) then finishes it.

Times are seconds from the engine's construction on ``clock`` (inject a fake one in tests).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Sequence

import torch
from transformers import PreTrainedModel

from inference.engine.engine_request import EngineRequest
from inference.engine.records import QueueSnapshot, StepRecord
from inference.engine.streaming import IncrementalDetokenizer, TokenEvent, Tokenizer
from inference.engine.torch_executor import TOKEN_IDS, TorchExecutor
from scheduling.kv_cache import KVCache
from scheduling.plan import BatchLimits, StepPlan
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
        self.executor = TorchExecutor(model, device)
        self.eos_token_ids = frozenset(eos_token_ids if eos_token_ids is not None
                                       else _default_eos_token_ids(model, tokenizer))
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

        ``predicted_output_tokens`` is what length-aware policies rank by (default: the cap).
        Raises ValueError for a bad argument or a request the KV budget could never hold.
        """
        prompt_ids = self._encode(prompt)
        if request_id is None:
            request_id = next(i for i in self._request_ids if i not in self.requests)
        elif request_id in self.requests:
            raise ValueError(f"request_id {request_id} is already in use")
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        if predicted_output_tokens is None:
            predicted_output_tokens = max_new_tokens
        request = Request(request_id, self._now(), len(prompt_ids), max_new_tokens, priority,
                          predicted_output_tokens=predicted_output_tokens)
        request.extra[TOKEN_IDS] = prompt_ids
        self.scheduler.add_request(request)
        engine_request = EngineRequest(request, len(prompt_ids),
                                       IncrementalDetokenizer(self.tokenizer), on_token)
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
        num_preempted = len(plan.preempted)
        if plan.is_empty:
            # As in the simulator: only right after preempting the last runner. Drop the
            # victims' KV, then the next plan can run.
            self.executor.run(plan)
            plan = self.scheduler.schedule(self._now())
            num_preempted += len(plan.preempted)
            if plan.is_empty:
                raise RuntimeError("the scheduler planned nothing while requests wait")  # a bug
        num_kv_blocks_used = self.kv.num_used_blocks
        scheduled = self.clock()
        new_tokens = self.executor.run(plan)
        computed = self.clock()
        produced = self._append_tokens(new_tokens)
        finished = self.scheduler.update(plan, self._now(computed), computed - scheduled)
        for request in finished:
            self.executor.release(request.request_id)
        updated = self.clock()
        for engine_request, token_id in produced:
            engine_request.emit(token_id)
        record = self._record(plan, computed, num_kv_blocks_used, computed - scheduled,
                              (scheduled - started) + (updated - computed), num_preempted, len(finished),
                              len(produced))
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

    def _append_tokens(self, new_tokens: dict[int, int | None]) -> list[tuple[EngineRequest, int]]:
        """Append each new token; on end-of-sequence, cut the request's length to stop it here."""
        produced = []
        for request_id, token_id in new_tokens.items():
            if token_id is None:
                continue
            engine_request = self.requests[request_id]
            request = engine_request.request
            engine_request.token_ids.append(token_id)
            # update() will count this token: num_output_tokens + 1 is the length including it.
            num_outputs = request.num_output_tokens + 1
            if token_id in self.eos_token_ids:
                request.output_tokens = num_outputs
                engine_request.finish_reason = "eos"
            elif num_outputs >= request.output_tokens:
                engine_request.finish_reason = "length"
            produced.append((engine_request, token_id))
        return produced

    def _record(self, plan: StepPlan, computed: float, num_kv_blocks_used: int, step_s: float,
                scheduler_s: float, num_preempted: int, num_finished: int,
                num_output_tokens: int) -> StepRecord:
        num_prefill_tokens = sum(chunk.num_new_tokens for chunk in plan.prefills)
        return StepRecord(time_s=self._now(computed),
                          batch_size=len(plan.decodes) + len(plan.prefills),
                          num_prefill_tokens=num_prefill_tokens, num_decode_tokens=len(plan.decodes),
                          num_kv_blocks_used=num_kv_blocks_used, num_kv_blocks=self.kv.num_blocks,
                          step_s=step_s, scheduler_s=scheduler_s, num_preempted=num_preempted,
                          num_finished=num_finished, num_waiting=len(self.scheduler.waiting),
                          num_output_tokens=num_output_tokens)


def _default_eos_token_ids(model: PreTrainedModel, tokenizer: Tokenizer | None) -> list[int]:
    """The model's generation config decides, as in ``generate``; else the tokenizer's."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None and tokenizer is not None:
        eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        return []
    return [eos] if isinstance(eos, int) else list(eos)
