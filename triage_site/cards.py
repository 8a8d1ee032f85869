"""The process's instruction cards: the current versions (database, else the shipped file), the
complaint head sharing the urgency classifier's encoder, and the cards of a call."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings

from inference.cards.library import GENERAL_CARD_ID, Card, default_cards
from inference.cards.selection import choose_cards

logger = logging.getLogger(__name__)


def current_cards() -> dict[str, Card]:
    """Every card's current version by id, most time-critical first (the shipped file when the
    database has none, e.g. before ``migrate``)."""
    from django.db import DatabaseError

    from triage_site.models import InstructionCard

    try:
        rows = list(InstructionCard.objects.filter(is_current=True).order_by("position", "card_id"))
    except DatabaseError:  # not migrated yet (a command run before `migrate`)
        rows = []
    if not rows:
        return dict(default_cards())
    return {row.card_id: row.as_card() for row in rows}


def cards_of(refs: list[dict[str, Any]] | None) -> list[Card]:
    """The cards a call recorded (exact versions), falling back to the current or shipped card."""
    from triage_site.models import InstructionCard

    cards = []
    for ref in refs or [{"id": GENERAL_CARD_ID}]:
        row = (InstructionCard.objects.filter(card_id=ref.get("id"), version=ref.get("version")).first()
               or InstructionCard.objects.filter(card_id=ref.get("id"), is_current=True).first())
        if row is not None:
            cards.append(row.as_card())
        elif ref.get("id") in default_cards():
            cards.append(default_cards()[ref["id"]])
    return cards or [default_cards()[GENERAL_CARD_ID]]


_head_for: list = [None, None]
"""[classifier, its complaint head]: the head follows the process's classifier (tests switch it)."""


def get_complaint_head():
    """The complaint head beside the urgency encoder, sharing its weights; None (rules only) when
    the classifier is not the encoder or the head was not trained (``manage.py prepare_models``)."""
    from triage_site.triage import get_classifier

    classifier = get_classifier()
    if _head_for[0] is not classifier:
        _head_for[:] = [classifier, _load_head(classifier)]
    return _head_for[1]


def _load_head(classifier):
    from inference.cards.complaint_model import ComplaintHead

    while getattr(classifier, "inner", None) is not None:  # a layer on top (red flags) wraps the model
        classifier = classifier.inner
    encoder = getattr(getattr(classifier, "model", None), "encoder", None)
    if encoder is None:
        logger.warning("cards are chosen by rules only: the urgency classifier has no encoder to share")
        return None
    try:
        return ComplaintHead.load(Path(settings.TRIAGE_ENCODER_DIR), classifier.tokenizer, encoder)
    except FileNotFoundError as exc:
        logger.warning("cards are chosen by rules only: %s", exc)
        return None


def choose_call_cards(text: str) -> list[Card]:
    """The cards for a transcript: red-flag rules and the complaint head (no LM, milliseconds)."""
    cards = current_cards()
    head = get_complaint_head()
    probabilities = head.probabilities([text])[0] if head is not None else None
    threshold = head.threshold if head is not None else 0.5
    chosen = choose_cards(text, list(cards), probabilities, threshold=threshold)
    return [cards[card_id] for card_id in chosen]
