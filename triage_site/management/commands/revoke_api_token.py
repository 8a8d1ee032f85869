"""`manage.py revoke_api_token ID...`, `--user USERNAME` or `--token-stdin`: revoke API tokens.

A revoked token is refused (401) from the next request on; the row is kept for the record.
"""

from __future__ import annotations

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from triage_site.api.tokens import api_token_revoke, hash_token
from triage_site.models import ApiToken


class Command(BaseCommand):
    help = ("Revoke API tokens: by id (create_api_token and the admin show it), every token of a "
            "user, or the token itself read from standard input (a leaked token).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="token ids")
        parser.add_argument("--user", metavar="USERNAME", help="revoke every token of this user")
        parser.add_argument("--token-stdin", action="store_true",
                            help="read the raw token from standard input (kept out of shell history)")

    def handle(self, *args, **options) -> None:
        ways = [bool(options["ids"]), options["user"] is not None, options["token_stdin"]]
        if sum(ways) != 1:
            raise CommandError("give token ids, --user USERNAME or --token-stdin (one of them)", returncode=2)
        if options["ids"]:
            tokens = ApiToken.objects.filter(pk__in=options["ids"])
            unknown = set(options["ids"]) - set(tokens.values_list("pk", flat=True))
            if unknown:
                raise CommandError(f"no API token with id {', '.join(map(str, sorted(unknown)))}", returncode=2)
        elif options["user"] is not None:
            User = get_user_model()
            if not User.objects.filter(**{User.USERNAME_FIELD: options["user"]}).exists():
                raise CommandError(f"no user {options['user']!r}", returncode=2)
            tokens = ApiToken.objects.filter(**{f"user__{User.USERNAME_FIELD}": options["user"]})
        else:
            tokens = ApiToken.objects.filter(key_sha256=hash_token(sys.stdin.readline().strip()))
            if not tokens.exists():
                raise CommandError("that token is not one of this server's", returncode=2)
        revoked = api_token_revoke(tokens=tokens)
        self.stdout.write(f"{revoked} token(s) revoked ({tokens.count() - revoked} already were).")
