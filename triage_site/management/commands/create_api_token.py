"""`manage.py create_api_token USERNAME --name NAME [--expires-in-days N | --no-expiry]`: make a
bearer token and print it, once."""

from __future__ import annotations

from argparse import ArgumentTypeError
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from triage_site.api.tokens import api_token_create


def positive_days(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ArgumentTypeError(f"must be a whole number of days >= 1, got {raw!r}")
    return int(raw)


class Command(BaseCommand):
    help = ("Create an API token for USERNAME and print it. Only its SHA-256 is stored: "
            "copy it now, it cannot be shown again.")

    def add_arguments(self, parser) -> None:
        default_days = settings.TRIAGE_API_TOKEN_DEFAULT_DAYS
        parser.add_argument("username", help="the user the token acts as (it sees what they may see)")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. the client's name")
        lifetime = parser.add_mutually_exclusive_group()
        lifetime.add_argument("--expires-in-days", type=positive_days, metavar="N",
                              help=f"refuse the token N days from now (default: "
                                   f"{default_days if default_days is not None else 'never'}, "
                                   "TRIAGE_API_TOKEN_DEFAULT_DAYS)")
        lifetime.add_argument("--no-expiry", action="store_true", help="the token never expires "
                                                                        "(revoke it with revoke_api_token)")

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: options["username"]})
        except User.DoesNotExist:
            raise CommandError(f"no user {options['username']!r}; create one first "
                               "(manage.py createsuperuser, or in the admin)", returncode=2) from None
        days = options["expires_in_days"]
        try:
            token, raw = api_token_create(
                user=user, name=options["name"], never_expires=options["no_expiry"],
                expires_at=timezone.now() + timedelta(days=days) if days is not None else None)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}"
                                         for field, msgs in exc.message_dict.items()), returncode=2) from None
        self.stdout.write(raw)
        lifetime = f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "never expires"
        self.stderr.write(f"API token {token.pk} ({token.name}) for {user}: shown once, store it now; "
                          f"{lifetime}. Use it as 'Authorization: Bearer <token>'.")
