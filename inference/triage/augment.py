"""Noisy copies of training calls: how people actually type and speech-to-text actually writes.

The corpus is clean, punctuated, correctly spelt text; real calls (and transcripts of them) are
not. Each training call gets ``copies`` variants with a random mix of: misspelt words (a letter
dropped, doubled, swapped with its neighbour or replaced by a key next to it), lost apostrophes
and capitals, punctuation gone (run-on speech), spoken fillers ("um", "like", "you know"), and
sentences run together with "and". The label never changes: none of these alters what happened.
Deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from inference.triage.evaluation import LabelledCall

_KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}
_FILLERS = ("um", "uh", "erm", "like", "you know", "I mean", "so", "right")


def misspell(word: str, rng: random.Random) -> str:
    """One typing slip in a word of at least four letters (shorter words are left alone)."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 4:
        return word
    i = rng.choice(letters[1:])
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2 and i + 1 < len(word) and word[i + 1].isalpha():
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    near = _KEYBOARD_NEIGHBOURS.get(word[i].lower())
    return word[:i] + rng.choice(near) + word[i + 1:] if near else word


def noisy(text: str, rng: random.Random, *, typo_rate: float = 0.08) -> str:
    """A noisy variant of ``text`` (see the module docstring); each transform is applied at random."""
    if rng.random() < 0.4:  # sentences run together
        text = re.sub(r"[.!?]+\s+", lambda _: rng.choice((" and ", ", ", " ", " so ")), text)
    words = text.split()
    out = []
    for word in words:
        if rng.random() < typo_rate:
            word = misspell(word, rng)
        out.append(word)
        if rng.random() < 0.04:
            out.append(rng.choice(_FILLERS) + ",")
    text = " ".join(out)
    if rng.random() < 0.5:
        text = text.replace("'", "").replace("\u2019", "")
    if rng.random() < 0.4:  # a transcript: lower case, no punctuation
        text = re.sub(r"[^\w\s]", " ", text.lower())
        text = re.sub(r"\s+", " ", text).strip()
    return text


def augment(rows: Sequence[LabelledCall], copies: int, rng: random.Random) -> list[LabelledCall]:
    """``rows`` followed by ``copies`` noisy variants of each (same level, ids suffixed ``~n``)."""
    if copies < 0:
        raise ValueError(f"copies must be >= 0, got {copies}")
    extra = [LabelledCall(noisy(row.text, rng), row.priority, row.output_tokens,
                          None if row.id is None else f"{row.id}~{n}")
             for n in range(1, copies + 1) for row in rows]
    return list(rows) + extra
