"""What the engine is asked: the dispatcher's-assistant prompt for a call at each level.

The model drafts first-aid steps a dispatcher can read out while help is on the way; the level
sets the situation the system message states. Kept deliberately short: SmolLM2-135M follows one
plain situation and one plain request, and wanders off (or loops) under a longer protocol. Tried
on three calls (`docs/BENCHMARKS.md`, engine section): this shape ends with its own
end-of-sequence token in a few numbered steps where longer instructions ran to the length cap.
"""

from __future__ import annotations

from inference.levels import level

ROLE = "You are an emergency dispatcher's assistant."

SITUATION_BY_LEVEL: tuple[str, ...] = (
    "This is life-threatening. An ambulance is on its way with lights and sirens.",
    "This is an emergency. An ambulance is on its way.",
    "This is urgent but stable. The patient needs to be seen at a hospital today.",
    "This is not an emergency. The patient can be seen at a clinic today.",
    "This is routine. Self-care or a pharmacist is enough.",
)

REQUEST = "What should I do until help arrives? Give 3 short numbered steps."


def system_prompt(priority: int) -> str:
    """The system message for a call rated ``priority`` (0 most urgent)."""
    return f"{ROLE} {SITUATION_BY_LEVEL[level(priority).value]}"


def call_messages(call_text: str, priority: int) -> list[dict[str, str]]:
    """Chat messages for one call, in the shape chat templates take."""
    return [{"role": "system", "content": system_prompt(priority)},
            {"role": "user", "content": f"{call_text}\n{REQUEST}"}]


def render_chat(tokenizer, messages: list[dict[str, str]]) -> str:
    """The prompt text for ``messages`` under the tokenizer's chat template (plain turns
    if it has none), ending where the assistant's answer starts."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    turns = [f"{message['role']}: {message['content']}" for message in messages]
    return "\n".join(turns) + "\nassistant:"
