"""Pre-arrival instruction cards: the vetted library, choosing a card for a call, and checking an
LM's reply against its card (no Django: the engine host and ``response_eval`` share this code)."""
