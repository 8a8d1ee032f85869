"""API tokens: made once and shown once, stored as their SHA-256, looked up by that hash."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from triage_site.models import ApiToken

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "tri_"
"""Marks a string as one of ours (secret scanners and people both recognise it)."""
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is rewritten at most this often: one write per request would be wasted."""


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Store a new token for ``user``; returns it with the raw token, which is not kept."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, key_sha256=hash_token(raw))
    token.full_clean()
    token.save()
    logger.info("API token %s created for user %s", token.pk, user.pk)
    return token, raw


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active user's token ``raw`` names (its use noted), or None.

    The lookup is by hash, so the raw token is never compared character by character.
    """
    if not raw:
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(key_sha256=hash_token(raw), user__is_active=True).first())
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
