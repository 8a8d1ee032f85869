"""What the engine is asked: the dispatcher's-assistant prompt for a call, grounded in its card.

The model no longer invents first aid: the system message carries the vetted instruction card
chosen for the call (``inference/cards``), and the model is asked to say that card's steps to this
caller. Whatever it writes is checked against the card before a dispatcher sees it
(``inference/cards/checker.py``); a reply that fails is replaced by the card itself. The level sets
the situation the system message states. Kept short: SmolLM2-135M follows one plain situation and
one plain request and wanders off under a longer protocol (``docs/BENCHMARKS.md``, "What the
caller hears", has the prompts tried and their pass rates).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inference.levels import level

if TYPE_CHECKING:
    from inference.cards.library import Card

ROLE = "You are an emergency dispatcher's assistant."

SITUATION_BY_LEVEL: tuple[str, ...] = (
    "This is life-threatening. An ambulance is on its way with lights and sirens.",
    "This is an emergency. An ambulance is on its way.",
    "This is urgent but stable. The patient needs to be seen at a hospital today.",
    "This is not an emergency. The patient can be seen at a clinic today.",
    "This is routine. Self-care or a pharmacist is enough.",
)

REQUEST = "What should I do until help arrives? Give 3 short numbered steps."
"""The request without a card (kept for callers of ``call_messages`` that pass none)."""

CARD_INSTRUCTION = ("The caller is on the phone with you. Read the steps of this card to the caller, "
                    "in your own short sentences, in the order that fits the call. Use only these steps.")
CARD_REQUEST = "What do I do now?"


def system_prompt(priority: int, card: Card | None = None) -> str:
    """The system message for a call rated ``priority`` (0 most urgent), with its card if any."""
    situation = f"{ROLE} {SITUATION_BY_LEVEL[level(priority).value]}"
    if card is None:
        return situation
    return f"{situation} {CARD_INSTRUCTION}\n\n{card.title}\n{card.numbered_steps()}"


def call_messages(call_text: str, priority: int, card: Card | None = None) -> list[dict[str, str]]:
    """Chat messages for one call, in the shape chat templates take."""
    request = REQUEST if card is None else CARD_REQUEST
    return [{"role": "system", "content": system_prompt(priority, card)},
            {"role": "user", "content": f"{call_text}\n{request}"}]


def render_chat(tokenizer, messages: list[dict[str, str]]) -> str:
    """The prompt text for ``messages`` under the tokenizer's chat template (plain turns
    if it has none), ending where the assistant's answer starts."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    turns = [f"{message['role']}: {message['content']}" for message in messages]
    return "\n".join(turns) + "\nassistant:"
