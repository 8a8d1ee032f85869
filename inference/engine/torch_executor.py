"""Carries out a ``StepPlan`` with a real transformers causal LM, keeping each request's KV.

Why our own executor and not transformers' continuous batching (``generate_batch``,
``ContinuousBatchingManager``): there the scheduler is only a plug-in that picks from its own
``RequestState`` objects inside a background thread; it owns a second, paged KV pool with its
own block accounting and safety margin, and under memory pressure its ``OffloadingManager``
evicts requests in its own order. Our policy must decide admission, order *and* preemption,
and the simulator's ``Scheduler`` must be reused unchanged, so wrapping that machinery would
mean two schedulers and two KV accountings disagreeing. Its internals also changed in every
5.x release. A compact executor behind the plan interface is smaller than the adapter.

How a step runs:
- every request that holds KV owns a *slot*: a row of one preallocated buffer per layer
  (``SlotKVCache``: slots x kv heads x token capacity x head dim). Its tokens sit at
  columns ``0 .. n-1`` of its row; the scheduler's ``KVCache`` counts its blocks, and the
  executor holds exactly ``num_computed_tokens`` tokens for every running request. Slots are
  kept dense: when a request leaves, the last slot's row moves into the hole (one request's
  KV copied once), so the running requests occupy rows ``0 .. n-1``;
- each prefill chunk is one forward pass over its new tokens, written into its row after
  the cached ones (chunked prefill and recompute are the same call);
- all decodes of the step are one batched forward pass over the rows they span. Each row
  writes its new key/value at its own column, and attends through a mask to its columns
  ``0 .. n``; the rows are a view of the buffer, so nothing is copied or re-padded per step.
  A row in the span that is not decoding this step (a prefill still part-way, or a decode
  the policy deferred) computes a throw-away token at a column past its length, where its
  next chunk overwrites it; with the dense layout such rows are rare.
- the buffer grows (doubling, copied once) when a request needs more columns or a new
  request needs a row; released rows are reused, never shrunk. Its size is therefore the
  most requests that were running at once times the longest, not the scheduler's KV budget.
- preemption is by recompute only: a preempted request's slot is released, and it is
  prefilled again from token 0. Build the ``Scheduler`` with ``preemption_mode="recompute"``;
  a plan that swaps a request in is refused.

Each request's tokens (prompt, then every token produced) are the executor's own: ``add``
hands it the prompt, each step appends what it produced, and ``run`` returns a ``StepOutcome``
(the step's duration on the engine's clock, the new token ids, the requests that produced an
end-of-sequence token). The engine forgets a finished request with ``drop``.

Decoding is greedy (argmax, first index on ties, as ``generate(do_sample=False)``). Models with
sliding-window or linear-attention layers are refused: their caches do not hold every token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

import torch
from transformers import DynamicCache, PreTrainedModel
from transformers.cache_utils import DynamicLayer

from inference.engine.slot_cache import SlotKVCache
from scheduling.executor import StepOutcome
from scheduling.plan import PrefillChunk, StepPlan
from scheduling.request import Request


class TorchExecutor:
    """Runs plans on ``model``; holds the KV cache of every request that has computed tokens."""

    def __init__(self, model: PreTrainedModel, device: torch.device | str | None = None,
                 eos_token_ids: Iterable[int] = (), clock: Callable[[], float] = time.monotonic) -> None:
        layers = DynamicCache(config=model.config).layers
        if any(type(layer) is not DynamicLayer for layer in layers):
            raise ValueError("TorchExecutor needs a model whose every layer attends to all tokens")
        self.model = model.eval()
        self.device = torch.device(device) if device is not None else model.device
        self.eos_token_ids = frozenset(eos_token_ids)
        self.clock = clock
        self._token_ids: dict[int, list[int]] = {}
        """Per request: its prompt, then each token produced."""
        self._cache = SlotKVCache(len(layers))
        self._slot_of: dict[int, int] = {}
        self._owners: list[int] = []
        """Request id per slot; slots 0 .. len-1 are in use."""
        self._lengths: list[int] = []
        """Tokens held per slot."""

    @property
    def num_cached_tokens(self) -> int:
        """Tokens whose keys and values are held, over all requests."""
        return sum(self._lengths)

    def num_cached_tokens_of(self, request_id: int) -> int:
        slot = self._slot_of.get(request_id)
        return self._lengths[slot] if slot is not None else 0

    def add(self, request_id: int, prompt_ids: Sequence[int]) -> None:
        """Take a new request's prompt token ids (before its first plan)."""
        if request_id in self._token_ids:
            raise ValueError(f"request {request_id} is already in the executor")
        self._token_ids[request_id] = list(prompt_ids)

    def drop(self, request_id: int) -> None:
        """Forget a request (finished): its tokens and its KV."""
        self._token_ids.pop(request_id, None)
        self._release(request_id)

    @torch.inference_mode()  # the buffers are inference tensors: moving a row is an in-place update
    def _release(self, request_id: int) -> None:
        """Drop a request's KV (it finished or was preempted); its slot is refilled by the
        last one, so the slots in use stay 0 .. n-1."""
        slot = self._slot_of.pop(request_id, None)
        if slot is None:
            return
        last = len(self._owners) - 1
        if slot != last:
            self._cache.move_slot(last, slot, self._lengths[last])
            self._owners[slot], self._lengths[slot] = self._owners[last], self._lengths[last]
            self._slot_of[self._owners[slot]] = slot
        self._owners.pop()
        self._lengths.pop()

    @torch.inference_mode()
    def run(self, plan: StepPlan) -> StepOutcome:
        """Run one iteration: each scheduled request's new token id (None for a prefill chunk
        that does not reach the end of its tokens), and which of them ended the sequence."""
        if plan.swapped_in:
            raise ValueError("TorchExecutor supports recompute preemption only: "
                             "build the Scheduler with preemption_mode='recompute'")
        if plan.num_iterations != 1:
            raise ValueError("TorchExecutor runs one iteration per plan")
        started = self.clock()
        for request in plan.preempted:
            self._release(request.request_id)
        new_tokens: dict[int, int | None] = {}
        for chunk in plan.prefills:
            new_tokens[chunk.request.request_id] = self._prefill(chunk)
        if plan.decodes:
            new_tokens.update(zip((r.request_id for r in plan.decodes), self._decode(plan.decodes)))
        stopped = []
        for request_id, token_id in new_tokens.items():
            if token_id is not None:
                self._token_ids[request_id].append(token_id)
                if token_id in self.eos_token_ids:
                    stopped.append(request_id)
        return StepOutcome(self.clock() - started, new_tokens, frozenset(stopped))

    def _prefill(self, chunk: PrefillChunk) -> int | None:
        request = chunk.request
        token_ids = self._token_ids[request.request_id]
        start, end = chunk.num_cached_tokens, chunk.num_cached_tokens + chunk.num_new_tokens
        if start == 0 and request.request_id not in self._slot_of:
            self._slot_of[request.request_id] = len(self._owners)
            self._owners.append(request.request_id)
            self._lengths.append(0)
        slot = self._slot_of[request.request_id]
        self._check_cached(request, self._lengths[slot], start)
        self._cache.reserve(len(self._owners), end)
        self._cache.bind_chunk(slot, start, end)
        input_ids = torch.tensor([token_ids[start:end]], device=self.device)
        position_ids = torch.arange(start, end, device=self.device).unsqueeze(0)
        logits = self.model(input_ids=input_ids, position_ids=position_ids, past_key_values=self._cache,
                            use_cache=True, logits_to_keep=1).logits
        self._lengths[slot] = end
        if end < len(token_ids):
            return None  # more of the prompt (or of the recompute) to go: no token yet
        return int(logits[0, -1].argmax())

    def _decode(self, decodes: list[Request]) -> list[int]:
        slots = [self._slot_of[r.request_id] for r in decodes]
        for request, slot in zip(decodes, slots):
            self._check_cached(request, self._lengths[slot], len(self._token_ids[request.request_id]) - 1)
        first, end = min(slots), max(slots) + 1
        last_tokens = [0] * (end - first)  # rows that are not decoding get a throw-away token
        for request, slot in zip(decodes, slots):
            last_tokens[slot - first] = self._token_ids[request.request_id][-1]
        lengths = self._lengths[first:end]
        longest = max(lengths)
        self._cache.reserve(len(self._owners), longest + 1)
        positions = torch.tensor(lengths, device=self.device)
        self._cache.bind_decode(first, end, positions, longest + 1)
        # Row r attends to its columns 0 .. lengths[r] (its cached tokens and the new one). A 4-D
        # mask goes to attention as is; from a 2-D one transformers would build a causal mask
        # with one query position for all rows, which their different lengths do not have.
        columns = torch.arange(longest + 1, device=self.device)
        attention_mask = (columns <= positions.unsqueeze(1))[:, None, None, :]
        logits = self.model(input_ids=torch.tensor(last_tokens, device=self.device).unsqueeze(1),
                            position_ids=positions.unsqueeze(1), attention_mask=attention_mask,
                            past_key_values=self._cache, use_cache=True, logits_to_keep=1).logits
        next_tokens = logits[:, -1].argmax(dim=-1).tolist()
        for slot in slots:
            self._lengths[slot] += 1
        return [next_tokens[slot - first] for slot in slots]

    @staticmethod
    def _check_cached(request: Request, held: int, expected: int) -> None:
        """The executor and the scheduler must agree on what is cached, or tokens go wrong silently."""
        if held != expected or held != request.num_computed_tokens:
            raise RuntimeError(f"request {request.request_id}: executor holds {held} tokens of KV, "
                               f"scheduler counts {request.num_computed_tokens}, step needs {expected}")
