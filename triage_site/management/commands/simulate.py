"""`manage.py simulate ...`: the scheduling simulator's CLI, reachable from the project.

Every flag belongs to `scheduling.cli`; this command only forwards them. Django's
option parser is bypassed entirely: it would reject flags it does not know and
read `--setting` as an abbreviation of its own `--settings`. (ManagementUtility's
own early pass for `--settings`/`--pythonpath` uses allow_abbrev=False, so it leaves
`--setting` alone.)
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Sequence
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

PROG = "manage.py"
# Global options ManagementUtility has already applied before calling the command.
_DJANGO_GLOBAL_OPTIONS = ("--settings", "--pythonpath")


def run_cli(argv: Sequence[str]) -> int:
    """Run `scheduling.cli simulate ARGV`; return its exit status (argparse errors included)."""
    from scheduling.cli import main  # imported late: `manage.py check` must not need it

    try:
        return main(["simulate", *argv], prog=PROG)
    except SystemExit as exc:  # argparse exits on --help and on bad flags
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        raise


def strip_django_global_options(argv: Sequence[str]) -> list[str]:
    """Drop `--settings X`, `--settings=X` (and `--pythonpath`); the CLI does not know them."""
    kept: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token in _DJANGO_GLOBAL_OPTIONS:
            next(tokens, None)
        elif not token.startswith(tuple(f"{name}=" for name in _DJANGO_GLOBAL_OPTIONS)):
            kept.append(token)
    return kept


class _PassThroughParser(CommandParser):
    """Returns every token untouched; call_command() parses through this."""

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: object = None
    ) -> argparse.Namespace:
        return argparse.Namespace(args=list(args or ()))


class Command(BaseCommand):
    help = "Run the scheduling simulator; `manage.py simulate --help` lists its flags."
    requires_system_checks: list[str] = []  # the simulator touches no database

    def create_parser(
        self, prog_name: str, subcommand: str, **kwargs: Any
    ) -> CommandParser:
        return _PassThroughParser(prog=f"{PROG} {subcommand}", add_help=False)

    def print_help(self, prog_name: str, subcommand: str) -> None:
        run_cli(["--help"])

    def run_from_argv(self, argv: list[str]) -> NoReturn:
        """Command-line entry: argv is [prog, "simulate", *flags]; exit with the CLI's status."""
        raise SystemExit(run_cli(strip_django_global_options(argv[2:])))

    def execute(self, *args: str, **options: Any) -> None:
        """call_command() entry: positional args are the CLI's flags; stdout/stderr are honoured."""
        with contextlib.ExitStack() as stack:
            if options.get("stdout") is not None:
                stack.enter_context(contextlib.redirect_stdout(options["stdout"]))
            if options.get("stderr") is not None:
                stack.enter_context(contextlib.redirect_stderr(options["stderr"]))
            status = run_cli(args)
        if status != 0:
            raise CommandError(f"simulate exited with status {status}", returncode=status)
