"""A tiny seeded Llama, greedy references from ``model.generate``, and a fake clock."""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

VOCAB_SIZE = 320
PAD_TOKEN_ID = 0


@pytest.fixture(scope="session")
def model() -> LlamaForCausalLM:
    # One thread: a model this small gains nothing from more, and on a shared CPU
    # the extra threads spin against other jobs (seconds instead of milliseconds per test).
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=VOCAB_SIZE, hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, bos_token_id=None, eos_token_id=None,
                         pad_token_id=PAD_TOKEN_ID)
    model = LlamaForCausalLM(config).eval()
    # No end-of-sequence by default, so outputs run to max_new_tokens unless a test sets one.
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = PAD_TOKEN_ID
    return model


@pytest.fixture(scope="session")
def make_prompts() -> Callable[[Sequence[int], int], list[list[int]]]:
    def make(lengths: Sequence[int], seed: int = 1) -> list[list[int]]:
        generator = torch.Generator().manual_seed(seed)
        return [torch.randint(3, VOCAB_SIZE, (n,), generator=generator).tolist() for n in lengths]
    return make


@pytest.fixture(scope="session")
def greedy(model: LlamaForCausalLM) -> Callable[..., list[int]]:
    """``greedy(prompt, max_new_tokens, eos=None)``: what generate(do_sample=False) outputs alone."""
    cache: dict[tuple, list[int]] = {}

    def reference(prompt: Sequence[int], max_new_tokens: int, eos: int | None = None) -> list[int]:
        key = (tuple(prompt), max_new_tokens, eos)
        if key not in cache:
            with torch.inference_mode():
                output = model.generate(torch.tensor([list(prompt)]), do_sample=False,
                                        max_new_tokens=max_new_tokens, eos_token_id=eos)
            cache[key] = output[0, len(prompt):].tolist()
        return cache[key]
    return reference


class FakeClock:
    """Advances by a millisecond on every reading, so every recorded time is distinct."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.001
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class CharTokenizer:
    """One token per printable character, ids from 3; other ids decode to nothing."""

    offset = 3
    alphabet = string.ascii_letters + string.digits + " .,!?'-"

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return [self.offset + self.alphabet.index(char) for char in text]

    def decode(self, token_ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        return "".join(self.alphabet[i - self.offset] for i in token_ids
                       if 0 <= i - self.offset < len(self.alphabet))


@pytest.fixture
def tokenizer() -> CharTokenizer:
    return CharTokenizer()
