"""A logging filter that keeps credentials and call text out of log records.

Calls are patient data and tokens are credentials; our own log lines carry ids only, but
libraries are not so careful:

- django-ninja logs the whole ``Authorization`` header when its scheme is not Bearer and DEBUG is
  on (``Unexpected auth - 'Token tri_...'``): header values and anything shaped like one of our
  tokens are replaced.
- Some exceptions quote the input that caused them: PostgreSQL repeats the JSON it refused (with
  a chat's messages), codecs and pydantic repeat the string. A record carrying one keeps its
  traceback but the message becomes the exception's type.

The filter rewrites the record in place, so every handler after it sees the redacted record.
Settings attach it to the console handler and to the loggers whose records can carry such text.
"""

from __future__ import annotations

import logging
import re
import traceback

TOKEN = re.compile(r"\btri_[A-Za-z0-9_-]+")
AUTH_HEADER = re.compile(r"(Unexpected auth - |Authorization: ?)('[^']*'|\S+(?: \S+)?)", re.IGNORECASE)
"""ninja's line, or a header written out: the value (a scheme and its credentials, or quoted)."""
CREDENTIALS = re.compile(r"\b(Bearer|Basic|Token) (?!\[withheld\])\S+", re.IGNORECASE)
WITHHELD = "[withheld]"


class RedactSecrets(logging.Filter):
    """Never drops a record; rewrites its message and exception where they could leak."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and record.exc_info[1] is not None and \
                any(quotes_input(link) for link in exception_chain(record.exc_info[1])):
            record.exc_text = redacted_traceback(record.exc_info[1])
            record.exc_info = None
        return True


def redact_text(text: str) -> str:
    """``text`` with Authorization values and our tokens replaced."""
    text = AUTH_HEADER.sub(lambda match: match.group(1) + WITHHELD, text)
    text = CREDENTIALS.sub(lambda match: f"{match.group(1)} {WITHHELD}", text)
    return TOKEN.sub("tri_" + WITHHELD, text)


def quotes_input(exc: BaseException) -> bool:
    """Whether ``exc``'s message may repeat the data that caused it: the database's data and
    integrity errors (PostgreSQL quotes the value or the JSON it refused), codec errors and
    pydantic's. Others ("database is locked", a missing file) keep their message."""
    from django.db import DataError, IntegrityError
    from pydantic import ValidationError

    quoting: tuple[type[BaseException], ...] = (DataError, IntegrityError, UnicodeError, ValidationError)
    try:
        import psycopg
        quoting += (psycopg.DataError, psycopg.IntegrityError)
    except ImportError:  # SQLite only: its messages name columns, not values
        pass
    return isinstance(exc, quoting)


def redacted_traceback(exc: BaseException) -> str:
    """The traceback as Python prints it (causes first). If any exception in the chain may quote
    the input, every message in it is withheld: a wrapper copies its cause's message (Django's
    DataError repeats psycopg's), whatever the cause's type."""
    chain = exception_chain(exc)
    withhold = any(quotes_input(link) for link in chain)
    lines: list[str] = []
    for position, link in enumerate(chain):
        if position:
            lines.append("\nThe above exception led to the following exception:\n\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(link.__traceback__))
        message = "(message withheld: it may quote call text)" if withhold else redact_text(str(link))
        lines.append(f"{type(link).__module__}.{type(link).__qualname__}: {message}\n")
    return "".join(lines).rstrip("\n")


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it, the first cause first."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and all(link is not seen for seen in chain):
        chain.append(link)
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    return chain[::-1]

