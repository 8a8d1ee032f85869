"""The executor's KV store: one preallocated buffer per layer, a row ("slot") per request.

A transformers ``Cache`` whose ``update`` writes a forward pass's new keys and values in place
and returns *views* of what the pass attends to, so batched decodes need no per-step copy.
What a pass computes is bound just before it (``bind_chunk``, ``bind_decode``); which request
owns which row is the executor's business (``torch_executor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers.cache_utils import Cache, CacheLayerMixin

INITIAL_SLOTS = 8
INITIAL_TOKENS = 256
TOKEN_ALIGNMENT = 64
"""Token capacity grows in multiples of this, so a growing request reallocates rarely."""


@dataclass(frozen=True, slots=True)
class Binding:
    """What the next forward pass computes: the rows it reads, and where its new keys and
    values go (one request's chunk, or one column per row)."""

    rows: slice
    write_rows: int | torch.Tensor
    write_columns: slice | torch.Tensor
    query_offset: int
    """Position of the pass's first query token (what the causal mask is built from)."""
    kv_length: int
    """Columns each row attends over."""


class SlotKVCache(Cache):
    """A transformers ``Cache`` over one buffer per layer with a row (slot) per request.

    Before each forward pass the executor *binds* what the pass computes: one request's chunk
    (``bind_chunk``) or a span of rows decoding one token each (``bind_decode``). The model's
    attention layers then call ``update``, which writes the new keys and values in place and
    returns views of what the bound rows attend to.
    """

    def __init__(self, num_layers: int) -> None:
        super().__init__(layers=[SlotLayer(self) for _ in range(num_layers)])
        self.num_slots = INITIAL_SLOTS
        self.num_tokens = INITIAL_TOKENS
        self.binding = Binding(slice(0, 0), 0, slice(0, 0), 0, 0)

    def reserve(self, num_slots: int, num_tokens: int) -> None:
        """Make room for ``num_slots`` rows of ``num_tokens`` columns (layers grow on their next update)."""
        while self.num_slots < num_slots:
            self.num_slots *= 2
        if self.num_tokens < num_tokens:
            grown = max(num_tokens, 2 * self.num_tokens)
            self.num_tokens = -(-grown // TOKEN_ALIGNMENT) * TOKEN_ALIGNMENT

    def bind_chunk(self, slot: int, start: int, end: int) -> None:
        """The next pass computes tokens ``start .. end-1`` of the request in ``slot``."""
        self.binding = Binding(slice(slot, slot + 1), slot, slice(start, end), start, end)

    def bind_decode(self, first: int, end: int, positions: torch.Tensor, kv_length: int) -> None:
        """The next pass computes one token for each row ``first .. end-1``, at column ``positions[r]``."""
        self.binding = Binding(slice(first, end), torch.arange(first, end, device=positions.device),
                               positions, kv_length - 1, kv_length)

    def move_slot(self, source: int, target: int, num_tokens: int) -> None:
        for layer in self.layers:
            layer.move_slot(source, target, num_tokens)


class SlotLayer(CacheLayerMixin):
    """One layer's keys and values for every slot: (slots, kv heads, tokens, head dim)."""

    is_sliding = False

    def __init__(self, cache: SlotKVCache) -> None:
        super().__init__()
        self.cache = cache

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        # Zeros, not empty: masked columns still enter attention's weighted sum (with weight 0),
        # and 0 x NaN from uninitialised memory would poison the row.
        self.keys = key_states.new_zeros((0, key_states.shape[1], 0, key_states.shape[-1]))
        self.values = value_states.new_zeros((0, value_states.shape[1], 0, value_states.shape[-1]))
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        self._grow()
        bound = self.cache.binding
        if isinstance(bound.write_rows, int):  # a chunk of one request
            self.keys[bound.write_rows, :, bound.write_columns] = key_states[0]
            self.values[bound.write_rows, :, bound.write_columns] = value_states[0]
        else:  # one token per row, each at its own column
            self.keys[bound.write_rows, :, bound.write_columns] = key_states[:, :, 0]
            self.values[bound.write_rows, :, bound.write_columns] = value_states[:, :, 0]
        return self.keys[bound.rows, :, :bound.kv_length], self.values[bound.rows, :, :bound.kv_length]

    def _grow(self) -> None:
        num_slots, num_tokens = self.cache.num_slots, self.cache.num_tokens
        if self.keys.shape[0] >= num_slots and self.keys.shape[2] >= num_tokens:
            return
        old_slots, old_tokens = self.keys.shape[0], self.keys.shape[2]
        for name in ("keys", "values"):
            old = getattr(self, name)
            grown = old.new_zeros((num_slots, old.shape[1], num_tokens, old.shape[3]))
            grown[:old_slots, :, :old_tokens] = old
            setattr(self, name, grown)

    def move_slot(self, source: int, target: int, num_tokens: int) -> None:
        if self.is_initialized and num_tokens:
            self.keys[target, :, :num_tokens] = self.keys[source, :, :num_tokens]
            self.values[target, :, :num_tokens] = self.values[source, :, :num_tokens]

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.cache.binding.kv_length, 0

    def get_seq_length(self) -> int:
        return self.cache.binding.query_offset

    def get_max_length(self) -> int:
        return -1
