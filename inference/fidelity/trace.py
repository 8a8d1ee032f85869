"""The trace both sides replay: corpus calls as prompts, with priorities and Poisson arrival times."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inference.triage.evaluation import LabelledCall

REPLY_INSTRUCTIONS = ("You are an emergency medical dispatcher. Tell the caller, in two or three "
                      "short sentences, what to do right now.")
"""The generation task the trace's calls ask for: a dispatcher's first reply."""


@dataclass(frozen=True)
class TraceCall:
    request_id: int
    arrival_s: float
    """Seconds after the replay starts."""
    priority: int
    prompt_ids: tuple[int, ...]
    predicted_output_tokens: int
    """What length-aware policies rank by; identical on both sides."""


def reply_prompt_ids(tokenizer, text: str) -> list[int]:
    """Token ids asking ``tokenizer``'s model for a dispatcher reply to the call ``text``."""
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "system", "content": REPLY_INSTRUCTIONS},
                    {"role": "user", "content": text}]
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return list(tokenizer(prompt, add_special_tokens=False).input_ids)
    return list(tokenizer(f"{REPLY_INSTRUCTIONS}\n\nCaller: {text}\nDispatcher:").input_ids)


def build_trace(calls: Sequence[LabelledCall], tokenize: Callable[[str], list[int]], *,
                num_requests: int, rate_per_s: float, seed: int,
                predict_lengths: Callable[[list[str], list[int]], list[int]] | None = None,
                default_predicted_tokens: int = 1) -> list[TraceCall]:
    """``num_requests`` calls drawn from ``calls`` (without replacement while they last),
    arriving as a Poisson process of ``rate_per_s``; the first arrives one gap after 0.

    ``predict_lengths(texts, priorities)`` gives the predicted output lengths (for instance
    the site's length predictor); without it every call is predicted ``default_predicted_tokens``.
    """
    if num_requests < 1:
        raise ValueError(f"num_requests must be >= 1, got {num_requests}")
    if not rate_per_s > 0:
        raise ValueError(f"rate must be > 0 requests/s, got {rate_per_s}")
    if not calls:
        raise ValueError("no calls to build a trace from")
    rng = random.Random(seed)
    order: list[int] = []
    while len(order) < num_requests:
        order += rng.sample(range(len(calls)), min(len(calls), num_requests - len(order)))
    picked = [calls[i] for i in order]
    texts, priorities = [c.text for c in picked], [c.priority for c in picked]
    predicted = (predict_lengths(texts, priorities) if predict_lengths is not None
                 else [default_predicted_tokens] * len(picked))
    trace, arrival_s = [], 0.0
    for request_id, (call, prediction) in enumerate(zip(picked, predicted)):
        arrival_s += rng.expovariate(rate_per_s)
        trace.append(TraceCall(request_id, arrival_s, call.priority, tuple(tokenize(call.text)),
                               max(1, int(prediction))))
    return trace
