"""`manage.py create_api_token USERNAME --name NAME`: make a bearer token and print it, once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from triage_site.api.tokens import api_token_create


class Command(BaseCommand):
    help = ("Create an API token for USERNAME and print it. Only its SHA-256 is stored: "
            "copy it now, it cannot be shown again.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="the user the token acts as (a priority it sets is theirs)")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. the client's name")

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: options["username"]})
        except User.DoesNotExist:
            raise CommandError(f"no user {options['username']!r}; create one first "
                               "(manage.py createsuperuser, or in the admin)", returncode=2) from None
        try:
            token, raw = api_token_create(user=user, name=options["name"])
        except ValidationError as exc:
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}"
                                         for field, msgs in exc.message_dict.items()), returncode=2) from None
        self.stdout.write(raw)
        self.stderr.write(f"API token {token.pk} ({token.name}) for {user}: shown once, store it now. "
                          "Use it as 'Authorization: Bearer <token>'.")
