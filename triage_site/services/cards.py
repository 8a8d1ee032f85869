"""Services for instruction cards: load the shipped library as new versions, store a staff edit,
and choose and record a call's cards at intake."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.db import transaction

from inference.cards.library import CARDS_FILE, Card, card_from_dict, card_to_dict, load_cards

logger = logging.getLogger(__name__)


def _fields(card: Card) -> dict[str, Any]:
    data = card_to_dict(card)
    return {"title": data["title"], "steps": data["steps"], "sources": data["sources"],
            "key_actions": data["key_actions"], "forbidden": data["forbidden"],
            "allowed_terms": data["allowed_terms"]}


def cards_load_from_file(*, path: Path | str = CARDS_FILE, model=None) -> list[str]:
    """Store each card of ``path`` whose file version was not loaded before, as the card's next
    version (the current one from now on). Returns the ids stored. ``model``: the historical model
    when a migration calls this."""
    if model is None:
        from triage_site.models import InstructionCard as model
    stored = []
    with transaction.atomic():
        for position, card in enumerate(load_cards(path).values()):
            rows = model.objects.filter(card_id=card.id)
            if rows.filter(file_version=card.version).exists():
                rows.update(position=position)
                continue
            latest = rows.order_by("-version").first()
            rows.update(is_current=False, position=position)
            model.objects.create(card_id=card.id, version=(latest.version + 1) if latest else 1,
                                 position=position, is_current=True, file_version=card.version,
                                 **_fields(card))
            stored.append(card.id)
    if stored:
        logger.info("instruction cards stored from %s: %s", Path(path).name, ", ".join(stored))
    return stored


@transaction.atomic
def card_save_edit(*, card_id: str, data: dict[str, Any], user=None):
    """A staff edit: validated like the file, stored as the card's next version (now current)."""
    from triage_site.models import InstructionCard

    rows = InstructionCard.objects.select_for_update().filter(card_id=card_id)
    latest = rows.order_by("-version").first()
    version = (latest.version + 1) if latest else 1
    card = card_from_dict({**data, "id": card_id, "version": version})
    position = latest.position if latest else data.get("position", 1000)
    rows.update(is_current=False)
    row = InstructionCard.objects.create(card_id=card_id, version=version, position=position,
                                         is_current=True, created_by=user, **_fields(card))
    logger.info("instruction card %s edited: version %s by user %s", card_id, version, getattr(user, "pk", None))
    return row


def call_cards_refs(cards: list[Card]) -> list[dict[str, Any]]:
    """How a call stores its cards."""
    return [{"id": card.id, "version": card.version, "title": card.title} for card in cards]
