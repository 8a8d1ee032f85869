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
