"""API tokens: made once and shown once, stored as their SHA-256, looked up by that hash.

A token acts as its user and stops working when it expires (``expires_at``, by default
``TRIAGE_API_TOKEN_DEFAULT_DAYS`` after it is made), when it is revoked (``revoked_at``), or when
its user is deactivated.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
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


def default_expiry(now=None):
    """When a token made now expires by default (``TRIAGE_API_TOKEN_DEFAULT_DAYS``; None: never)."""
    days = settings.TRIAGE_API_TOKEN_DEFAULT_DAYS
    return None if days is None else (now or timezone.now()) + timedelta(days=days)


@transaction.atomic
def api_token_create(*, user, name: str, expires_at=None, never_expires: bool = False) -> tuple[ApiToken, str]:
    """Store a new token for ``user``; returns it with the raw token, which is not kept.

    It expires at ``expires_at``, else after the default lifetime, unless ``never_expires``.
    """
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    if never_expires:
        expires_at = None
    elif expires_at is None:
        expires_at = default_expiry()
    token = ApiToken(user=user, name=name, key_sha256=hash_token(raw), expires_at=expires_at)
    token.full_clean()
    token.save()
    logger.info("API token %s created for user %s", token.pk, user.pk)
    return token, raw


def api_token_revoke(*, tokens) -> int:
    """Revoke the tokens in ``tokens`` (a queryset) not yet revoked; returns how many were."""
    now = timezone.now()
    ids = list(tokens.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    revoked = ApiToken.objects.filter(pk__in=ids, revoked_at__isnull=True).update(revoked_at=now)
    for token_id in ids:
        logger.info("API token %s revoked", token_id)
    return revoked


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active user's token ``raw`` names if it is neither expired nor revoked (its use
    noted), or None.

    The lookup is by hash, so the raw token is never compared character by character.
    """
    if not raw:
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(key_sha256=hash_token(raw), user__is_active=True).first())
    now = timezone.now()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
