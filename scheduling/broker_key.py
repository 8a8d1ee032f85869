"""The semantic key squeezed into a message broker's priority: urgency first, then shorter first.

A broker orders messages by one small integer (RabbitMQ: 0..x-max-priority, larger first), so
the scheduler's key (priority, predicted remaining tokens) is quantised: five urgency bands,
each split into log2 length buckets. Within one broker priority the broker keeps arrival
order, which is the key's own tie-break. The fleet simulator's ``semantic`` router uses this
same function, so what it predicts is what the deployed broker does.
"""

from __future__ import annotations

from scheduling.request import NUM_PRIORITIES, check_priority

NUM_LENGTH_BUCKETS = 10
"""Buckets of predicted output length: 1, 2–3, 4–7, …, 256–511, 512 and more tokens."""

MAX_BROKER_PRIORITY = NUM_PRIORITIES * NUM_LENGTH_BUCKETS - 1
"""The queue's ``x-max-priority``: every value :func:`broker_priority` can return."""


def length_bucket(predicted_output_tokens: int) -> int:
    """0 for the shortest predicted answers, ``NUM_LENGTH_BUCKETS - 1`` for the longest."""
    if isinstance(predicted_output_tokens, bool) or not isinstance(predicted_output_tokens, int):
        raise ValueError(f"predicted_output_tokens must be an integer, got {predicted_output_tokens!r}")
    return min(max(predicted_output_tokens, 1).bit_length() - 1, NUM_LENGTH_BUCKETS - 1)


def broker_priority(priority: int, predicted_output_tokens: int) -> int:
    """A message priority (larger is delivered first) that orders by urgency, then length."""
    urgency_band = NUM_PRIORITIES - 1 - check_priority(priority)
    shortness = NUM_LENGTH_BUCKETS - 1 - length_bucket(predicted_output_tokens)
    return urgency_band * NUM_LENGTH_BUCKETS + shortness
