"""The card library: vetted pre-arrival instructions as data (``cards.yaml``), validated on load.

A card is what a dispatcher reads to a caller while help is on the way: ordered steps in plain
words, the public guidance they follow, the actions a reply must keep (``key_actions``) and the
phrases that would contradict it (``forbidden``). Cards are plain frozen dataclasses so the site
can build them from its database rows (staff edits) and the evaluation from the file alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CARDS_FILE = Path(__file__).resolve().parent / "cards.yaml"
GENERAL_CARD_ID = "general"
"""The safe card every call falls back to when no specific complaint is recognised."""


class CardError(ValueError):
    """A card that cannot be used; the message names the card and the field."""


@dataclass(frozen=True, slots=True)
class Source:
    organisation: str
    url: str


@dataclass(frozen=True, slots=True)
class KeyAction:
    """An action a reply must keep; any one of ``patterns`` (regexes, case-insensitive) counts."""

    name: str
    patterns: tuple[str, ...]

    def is_in(self, text: str) -> bool:
        return any(re.search(pattern, text, re.IGNORECASE) for pattern in self.patterns)


@dataclass(frozen=True, slots=True)
class Forbidden:
    """A phrase that contradicts the card when said without a negation (``why`` says how)."""

    pattern: str
    why: str


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    title: str
    version: int
    sources: tuple[Source, ...]
    steps: tuple[str, ...]
    key_actions: tuple[KeyAction, ...]
    forbidden: tuple[Forbidden, ...] = ()
    allowed_terms: tuple[str, ...] = ()

    @property
    def ref(self) -> dict[str, Any]:
        """How a call records the card it used: id and version."""
        return {"id": self.id, "version": self.version}

    def numbered_steps(self) -> str:
        return "\n".join(f"{number}. {step}" for number, step in enumerate(self.steps, 1))


def card_from_dict(data: Mapping[str, Any]) -> Card:
    """A validated card from its file or database form; CardError names what is wrong."""
    card_id = data.get("id")
    if not isinstance(card_id, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", card_id):
        raise CardError(f"card id must be lower_snake_case, got {card_id!r}")

    def need(field: str, kind: type) -> Any:
        value = data.get(field)
        if not isinstance(value, kind) or (kind is not int and not value):
            raise CardError(f"card {card_id}: {field} must be a non-empty {kind.__name__}")
        return value

    version = need("version", int)
    if version < 1:
        raise CardError(f"card {card_id}: version must be >= 1, got {version}")
    steps = tuple(str(step).strip() for step in need("steps", list))
    if not all(steps):
        raise CardError(f"card {card_id}: a step is empty")
    try:
        sources = tuple(Source(str(s["organisation"]), str(s["url"])) for s in need("sources", list))
        key_actions = tuple(KeyAction(str(k["name"]), tuple(str(p) for p in k["patterns"]))
                            for k in need("key_actions", list))
        forbidden = tuple(Forbidden(str(f["pattern"]), str(f.get("why", "")))
                          for f in data.get("forbidden") or ())
    except (KeyError, TypeError) as error:
        raise CardError(f"card {card_id}: malformed sources, key_actions or forbidden ({error})") from None
    for pattern in [p for k in key_actions for p in k.patterns] + [f.pattern for f in forbidden]:
        try:
            re.compile(pattern)
        except re.error as error:
            raise CardError(f"card {card_id}: bad pattern {pattern!r}: {error}") from None
    card = Card(id=card_id, title=str(need("title", str)), version=version, sources=sources,
                steps=steps, key_actions=key_actions, forbidden=forbidden,
                allowed_terms=tuple(str(t).lower() for t in data.get("allowed_terms") or ()))
    text = " ".join(card.steps)
    missing = [k.name for k in card.key_actions if not k.is_in(text)]
    if missing:  # a key action the card itself does not say could never be recalled
        raise CardError(f"card {card_id}: its steps do not say its key action(s) {', '.join(missing)}")
    return card


def card_to_dict(card: Card) -> dict[str, Any]:
    """The inverse of ``card_from_dict`` (JSON- and YAML-ready)."""
    return {"id": card.id, "title": card.title, "version": card.version,
            "sources": [{"organisation": s.organisation, "url": s.url} for s in card.sources],
            "steps": list(card.steps),
            "key_actions": [{"name": k.name, "patterns": list(k.patterns)} for k in card.key_actions],
            "forbidden": [{"pattern": f.pattern, "why": f.why} for f in card.forbidden],
            "allowed_terms": list(card.allowed_terms)}


def load_cards(path: Path | str = CARDS_FILE) -> dict[str, Card]:
    """Every card in ``path`` by id, in file order; CardError for a bad or duplicate card."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise CardError(f"{path}: expected a list of cards")
    cards: dict[str, Card] = {}
    for entry in data:
        if not isinstance(entry, Mapping):
            raise CardError(f"{path}: every card must be a mapping")
        card = card_from_dict(entry)
        if card.id in cards:
            raise CardError(f"{path}: card {card.id} appears twice")
        cards[card.id] = card
    if GENERAL_CARD_ID not in cards:
        raise CardError(f"{path}: the library needs a {GENERAL_CARD_ID!r} card")
    return cards


@lru_cache(maxsize=1)
def default_cards() -> dict[str, Card]:
    """The shipped library (read once per process)."""
    return load_cards(CARDS_FILE)


def card_ids(cards: Iterable[Card] | Sequence[str]) -> list[str]:
    return [c if isinstance(c, str) else c.id for c in cards]
