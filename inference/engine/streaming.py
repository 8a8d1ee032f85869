"""Streaming a request's output: one event per generated token, with the text it adds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

INCOMPLETE_CHARACTER = "\ufffd"
"""What a tokenizer decodes half of a multi-byte character to: held back until completed."""


class Tokenizer(Protocol):
    """The two methods the engine needs (any Hugging Face tokenizer has them)."""

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]: ...

    def decode(self, token_ids: Sequence[int], skip_special_tokens: bool = False) -> str: ...


@dataclass(frozen=True, slots=True)
class TokenEvent:
    """Sent to a request's ``on_token`` callback as soon as a token is produced."""

    request_id: int
    token_id: int
    text: str
    """Text this token adds (may be empty: part of a character, or no tokenizer)."""
    is_last: bool
    """True on the request's final token: the stream ends here."""


class IncrementalDetokenizer:
    """Turns a growing list of token ids into text deltas.

    Decoding each token alone is wrong for BPE/SentencePiece tokenizers (leading spaces,
    characters split over tokens), so the whole output is decoded and the new suffix emitted.
    Quadratic in the output length, which is fine for the short answers this engine serves.
    """

    def __init__(self, tokenizer: Tokenizer | None) -> None:
        self.tokenizer = tokenizer
        self.text = ""

    def delta(self, output_token_ids: Sequence[int], is_last: bool) -> str:
        if self.tokenizer is None:
            return ""
        full = self.tokenizer.decode(output_token_ids, skip_special_tokens=True)
        if full.endswith(INCOMPLETE_CHARACTER) and not is_last:
            return ""
        if not full.startswith(self.text):
            # A later token changed how earlier text decodes; what was sent cannot be taken back.
            self.text = full
            return ""
        added = full[len(self.text):]
        self.text = full
        return added
