"""Paged KV-cache accounting: fixed-size blocks, allocated as a request's tokens are computed."""

from __future__ import annotations

from scheduling.request import Request


class KVCacheFullError(RuntimeError):
    """Raised when an allocation is attempted without room: a scheduler bug, never user input."""


class KVCache:
    """Counts blocks; where the bytes live is the executor's business."""

    def __init__(self, num_blocks: int, block_size: int) -> None:
        if num_blocks < 1 or block_size < 1:
            raise ValueError("num_blocks and block_size must be >= 1")
        self.num_blocks = num_blocks
        self.block_size = block_size
        self.num_free_blocks = num_blocks

    @property
    def num_used_blocks(self) -> int:
        return self.num_blocks - self.num_free_blocks

    def blocks_for(self, num_tokens: int) -> int:
        return -(-num_tokens // self.block_size)

    def num_blocks_needed(self, request: Request, num_new_tokens: int) -> int:
        """Blocks to add so that ``num_new_tokens`` more tokens fit after the computed ones."""
        total = self.blocks_for(request.num_computed_tokens + num_new_tokens)
        return max(0, total - request.num_kv_blocks)

    def can_allocate(self, num_blocks: int) -> bool:
        return num_blocks <= self.num_free_blocks

    def allocate(self, request: Request, num_new_tokens: int) -> None:
        """Grow ``request``'s blocks to hold its computed tokens plus ``num_new_tokens``."""
        needed = self.num_blocks_needed(request, num_new_tokens)
        if needed > self.num_free_blocks:
            raise KVCacheFullError(
                f"request {request.request_id} needs {needed} blocks, {self.num_free_blocks} free")
        self.num_free_blocks -= needed
        request.num_kv_blocks += needed

    def free(self, request: Request) -> None:
        self.num_free_blocks += request.num_kv_blocks
        request.num_kv_blocks = 0

    def num_blocks_for_next_tokens(self, decodes: list[Request]) -> int:
        """Blocks that one more token for each of ``decodes`` would need (hot path: inlined)."""
        size = self.block_size
        return sum(1 for r in decodes if r.num_computed_tokens >= r.num_kv_blocks * size)

    def allocate_next_tokens(self, decodes: list[Request]) -> int:
        """Room for one more token each; returns their summed context (tokens attended to).

        One pass doing both, because this runs for every running request every step.
        """
        size = self.block_size
        needed = context = 0
        for request in decodes:
            computed = request.num_computed_tokens
            if computed >= request.num_kv_blocks * size:
                request.num_kv_blocks += 1
                needed += 1
            context += computed
        if needed > self.num_free_blocks:
            raise KVCacheFullError(f"{needed} blocks needed for next tokens, {self.num_free_blocks} free")
        self.num_free_blocks -= needed
        return context + len(decodes)

    def allocate_tokens(self, decodes: list[Request], num_new_tokens: int) -> None:
        """``allocate(r, num_new_tokens)`` for each of ``decodes``, all or nothing."""
        size = self.block_size
        grown = [(r, -(-(r.num_computed_tokens + num_new_tokens) // size) - r.num_kv_blocks)
                 for r in decodes]
        needed = sum(extra for _, extra in grown if extra > 0)
        if needed > self.num_free_blocks:
            raise KVCacheFullError(f"{needed} blocks needed, {self.num_free_blocks} free")
        for request, extra in grown:
            if extra > 0:
                request.num_kv_blocks += extra
        self.num_free_blocks -= needed
