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
- each request has its own ``DynamicCache``; the scheduler's ``KVCache`` counts its blocks,
  and this executor holds exactly ``num_computed_tokens`` tokens for every running request;
- each prefill chunk is one forward pass over its new tokens after the cached ones
  (chunked prefill and recompute are the same call);
- all decodes of the step are one batched forward pass: the caches are left-padded to the
  longest, padding is masked out and each row gets its true position, then each request's
  new key/value column is appended to its own cache. (The copy into a padded batch costs a
  pass over the batch's KV every step; a paged attention kernel would avoid it.)
- preemption is by recompute only: a preempted request's cache is dropped, and it is
  prefilled again from token 0. Build the ``Scheduler`` with ``preemption_mode="recompute"``;
  a plan that swaps a request in is refused.

Decoding is greedy (argmax, first index on ties, as ``generate(do_sample=False)``). Models with
sliding-window or linear-attention layers are refused: their caches do not hold every token.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import DynamicCache, PreTrainedModel
from transformers.cache_utils import DynamicLayer

from scheduling.plan import PrefillChunk, StepPlan
from scheduling.request import Request

TOKEN_IDS = "token_ids"
"""Key in ``Request.extra`` of the request's prompt and output token ids, owned by the engine."""


class TorchExecutor:
    """Runs plans on ``model``; holds the KV cache of every request that has computed tokens."""

    def __init__(self, model: PreTrainedModel, device: torch.device | str | None = None) -> None:
        layers = DynamicCache(config=model.config).layers
        if any(type(layer) is not DynamicLayer for layer in layers):
            raise ValueError("TorchExecutor needs a model whose every layer attends to all tokens")
        self.model = model.eval()
        self.device = torch.device(device) if device is not None else model.device
        self._caches: dict[int, DynamicCache] = {}

    @property
    def num_cached_tokens(self) -> int:
        """Tokens whose keys and values are held, over all requests."""
        return sum(cache.get_seq_length() for cache in self._caches.values())

    def num_cached_tokens_of(self, request_id: int) -> int:
        cache = self._caches.get(request_id)
        return cache.get_seq_length() if cache is not None else 0

    def release(self, request_id: int) -> None:
        """Drop a request's cache: called when it finishes or is preempted."""
        self._caches.pop(request_id, None)

    @torch.inference_mode()
    def run(self, plan: StepPlan) -> dict[int, int | None]:
        """Run one iteration; return each scheduled request's new token id, or None for a
        prefill chunk that does not reach the end of its tokens (no token yet)."""
        if plan.swapped_in:
            raise ValueError("TorchExecutor supports recompute preemption only: "
                             "build the Scheduler with preemption_mode='recompute'")
        for request in plan.preempted:
            self.release(request.request_id)
        new_tokens: dict[int, int | None] = {}
        for chunk in plan.prefills:
            new_tokens[chunk.request.request_id] = self._prefill(chunk)
        if plan.decodes:
            new_tokens.update(zip((r.request_id for r in plan.decodes), self._decode(plan.decodes)))
        return new_tokens

    def _prefill(self, chunk: PrefillChunk) -> int | None:
        request = chunk.request
        token_ids = request.extra[TOKEN_IDS]
        start, end = chunk.num_cached_tokens, chunk.num_cached_tokens + chunk.num_new_tokens
        if start == 0:
            self._caches[request.request_id] = DynamicCache(config=self.model.config)
        cache = self._caches[request.request_id]
        self._check_cached(request, cache, start)
        input_ids = torch.tensor([token_ids[start:end]], device=self.device)
        position_ids = torch.arange(start, end, device=self.device).unsqueeze(0)
        logits = self.model(input_ids=input_ids, position_ids=position_ids, past_key_values=cache,
                            use_cache=True, logits_to_keep=1).logits
        if end < len(token_ids):
            return None  # more of the prompt (or of the recompute) to go: no token yet
        return int(logits[0, -1].argmax())

    def _decode(self, decodes: list[Request]) -> list[int]:
        caches = [self._caches[r.request_id] for r in decodes]
        lengths = [cache.get_seq_length() for cache in caches]
        for request, cache in zip(decodes, caches):
            self._check_cached(request, cache, len(request.extra[TOKEN_IDS]) - 1)
        input_ids = torch.tensor([[r.extra[TOKEN_IDS][-1]] for r in decodes], device=self.device)
        position_ids = torch.tensor([[length] for length in lengths], device=self.device)
        if len(decodes) == 1:  # nothing to pad: run on the request's own cache
            logits = self.model(input_ids=input_ids, position_ids=position_ids,
                                past_key_values=caches[0], use_cache=True, logits_to_keep=1).logits
            return [int(logits[0, -1].argmax())]
        batch_cache, attention_mask = self._left_padded(caches, lengths)
        logits = self.model(input_ids=input_ids, position_ids=position_ids,
                            attention_mask=attention_mask, past_key_values=batch_cache,
                            use_cache=True, logits_to_keep=1).logits
        for row, cache in enumerate(caches):
            for layer_idx, layer in enumerate(batch_cache.layers):
                cache.update(layer.keys[row:row + 1, :, -1:], layer.values[row:row + 1, :, -1:],
                             layer_idx)
        return logits[:, -1].argmax(dim=-1).tolist()

    def _left_padded(self, caches: list[DynamicCache],
                     lengths: list[int]) -> tuple[DynamicCache, torch.Tensor]:
        """One cache for the batch, each row left-padded to the longest, and the 2-D mask
        (one extra column for the token being decoded) that hides the padding."""
        longest = max(lengths)
        pads = [(0, 0, longest - n, 0) for n in lengths]  # on the left of the sequence dimension
        layers = []
        for layer_idx in range(len(caches[0].layers)):
            keys = [F.pad(c.layers[layer_idx].keys, pad) for c, pad in zip(caches, pads)]
            values = [F.pad(c.layers[layer_idx].values, pad) for c, pad in zip(caches, pads)]
            layers.append((torch.cat(keys), torch.cat(values)))
        positions = torch.arange(longest + 1, device=self.device)
        starts = torch.tensor([longest - n for n in lengths], device=self.device)
        attention_mask = (positions.unsqueeze(0) >= starts.unsqueeze(1)).long()
        return DynamicCache(ddp_cache_data=layers), attention_mask

    @staticmethod
    def _check_cached(request: Request, cache: DynamicCache, expected: int) -> None:
        """The executor and the scheduler must agree on what is cached, or tokens go wrong silently."""
        held = cache.get_seq_length()
        if held != expected or held != request.num_computed_tokens:
            raise RuntimeError(f"request {request.request_id}: executor holds {held} tokens of KV, "
                               f"scheduler counts {request.num_computed_tokens}, step needs {expected}")
