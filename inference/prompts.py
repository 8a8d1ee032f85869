"""What the engine is asked: the dispatcher's-assistant instructions for a call at each level.

The model drafts guidance a dispatcher can read out while help is on the way; the level decides
the tone and what to cover first. The guidance per level is deliberately short: a 135M model
follows two or three plain instructions, not a protocol manual.
"""

from __future__ import annotations

from inference.levels import level

ROLE = ("You are an emergency dispatcher's assistant. Read the caller's words and write the "
        "first-aid instructions the dispatcher should give over the phone, as short numbered "
        "steps in plain language. Do not diagnose. Never tell the caller to hang up.")

GUIDANCE_BY_LEVEL: tuple[str, ...] = (
    "This is life-threatening: an ambulance is already on its way. Start with the single most "
    "important action (for example: start chest compressions, clear the airway, press hard on "
    "the bleeding, use their adrenaline pen). Keep every step very short.",
    "This is an emergency that must not wait: help is being sent. Tell the caller to keep the "
    "patient still and safe, what to watch for, and when to call back at once.",
    "This is urgent but stable: the patient needs a hospital assessment. Give comfort and safety "
    "steps for the wait and say what would make it more urgent.",
    "This is less urgent: one treatment or test at a clinic. Give simple self-care steps and "
    "suggest where to be seen today.",
    "This is not urgent: give self-care advice and suggest seeing a pharmacist or family doctor.",
)


def system_prompt(priority: int) -> str:
    """The system message for a call rated ``priority`` (0 most urgent)."""
    urgency = level(priority)
    return f"{ROLE}\nUrgency: {urgency.label} ({urgency.name}). {GUIDANCE_BY_LEVEL[urgency.value]}"


def call_messages(call_text: str, priority: int) -> list[dict[str, str]]:
    """Chat messages for one call, in the shape chat templates take."""
    return [{"role": "system", "content": system_prompt(priority)},
            {"role": "user", "content": call_text}]


def render_chat(tokenizer, messages: list[dict[str, str]]) -> str:
    """The prompt text for ``messages`` under the tokenizer's chat template (plain turns
    if it has none), ending where the assistant's answer starts."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    turns = [f"{message['role']}: {message['content']}" for message in messages]
    return "\n".join(turns) + "\nassistant:"
