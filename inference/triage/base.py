"""What every urgency classifier returns, and the input rules they all share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from inference.levels import NUM_LEVELS

MAX_CALL_TEXT_CHARS = 4000
"""Longest transcript accepted (about ten minutes of speech); longer input is refused, not cut."""


class InvalidCallText(ValueError):
    """Input that is not a usable call transcript; the message says why."""


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL (PostgreSQL refuses it in text) and unpaired surrogates (not Unicode text: no encoder,
database or tokenizer takes them). JSON can carry both, as \\u0000 and \\udfff."""


def unstorable_character(text: str) -> str | None:
    """Why ``text`` cannot be stored or processed as text, naming the first bad character and
    where it is; None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    kind = "a NUL character" if found.group() == "\x00" else "an unpaired surrogate"
    return f"contains {kind} (U+{ord(found.group()):04X}) at position {found.start()}, which is not text"


def validate_call_text(text: object) -> str:
    """Return the transcript stripped of outer whitespace, or raise InvalidCallText."""
    if not isinstance(text, str):
        raise InvalidCallText(f"call text must be a string, got {type(text).__name__}")
    problem = unstorable_character(text)
    if problem is not None:
        raise InvalidCallText(f"call text {problem}")
    stripped = text.strip()
    if not stripped:
        raise InvalidCallText("call text is empty")
    if len(stripped) > MAX_CALL_TEXT_CHARS:
        raise InvalidCallText(
            f"call text is {len(stripped)} characters, more than the {MAX_CALL_TEXT_CHARS} allowed")
    return stripped


@dataclass(frozen=True)
class Triage:
    """One classified call."""

    priority: int
    """The level to act on: after the decision rule and red flags, so possibly more urgent than the argmax."""
    probabilities: tuple[float, ...]
    """Model probability of each level 0..4 (sums to 1)."""
    classifier: str
    model_priority: int | None = None
    """The level the model's own decision gave, before red flags raised it (None: no red-flag layer)."""
    red_flags: tuple[str, ...] = ()
    """Names of the red flags the transcript raised (``inference/triage/red_flags.py``)."""

    def __post_init__(self) -> None:
        if len(self.probabilities) != NUM_LEVELS:
            raise ValueError(f"need {NUM_LEVELS} probabilities, got {len(self.probabilities)}")

    @property
    def confidence(self) -> float:
        """Probability the model gives the level acted on."""
        return self.probabilities[self.priority]


class UrgencyClassifier(Protocol):
    """Anything that rates call transcripts; batched because models are faster that way."""

    name: str

    def classify(self, texts: Sequence[str]) -> list[Triage]: ...
