"""Tracebacks in logs without what the database quoted from the rows.

PostgreSQL's messages quote values ("Key (email)=(alice@example.fi) already
exists", "Failing row contains (...)"), asyncpg puts the DETAIL line in the
exception's text, and SQLAlchemy repeats it. Engines hide bound parameters
(db/engine.py); this formatter withholds the messages of database errors
when a traceback is logged, keeping their type, SQLSTATE and statement (which
has placeholders only), so on-call still sees what failed where.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.exc import DBAPIError, StatementError

_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _from_database(error: BaseException) -> bool:
    module = type(error).__module__
    return (
        isinstance(error, DBAPIError)
        or module.startswith("asyncpg")
        or module.startswith("sqlalchemy.dialects")
    )


def _sqlstate(error: BaseException) -> str | None:
    for candidate in (error, getattr(error, "orig", None), error.__cause__):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def _message(error: BaseException) -> str:
    if not _from_database(error):
        return str(error)
    parts = ["(message withheld: database messages quote row values)"]
    state = _sqlstate(error)
    if state:
        parts.append(f"SQLSTATE {state}")
    if isinstance(error, StatementError) and error.statement:
        parts.append(f"[SQL: {error.statement}]")
    return " ".join(parts)


def _block(error: BaseException) -> str:
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    frames = "".join(traceback.format_tb(error.__traceback__))
    head = "Traceback (most recent call last):\n" if frames else ""
    message = _message(error)
    return f"{head}{frames}{name}: {message}\n" if message else f"{head}{frames}{name}\n"


def format_exception(error: BaseException) -> str:
    """Like `traceback.format_exception`, with database errors' messages withheld."""
    chain: list[tuple[BaseException, str]] = []  # newest first, with the link to the older
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__cause__ is not None:
            chain.append((current, _CAUSE))
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            chain.append((current, _CONTEXT))
            current = current.__context__
        else:
            chain.append((current, ""))
            current = None
    text = []
    for index in range(len(chain) - 1, -1, -1):
        text.append(_block(chain[index][0]))
        if index > 0:
            text.append(chain[index - 1][1])
    return "".join(text).rstrip("\n")


def _format_exc_info(ei: Any) -> str:
    _type, value, _tb = ei
    return format_exception(value) if isinstance(value, BaseException) else ""


class RedactingFormatter(logging.Formatter):
    """The plain-text log formatter, withholding database messages in tracebacks."""

    def formatException(self, ei: Any) -> str:
        return _format_exc_info(ei)


class RedactingJsonFormatter(JsonFormatter):
    """The JSON log formatter, withholding database messages in tracebacks."""

    def formatException(self, ei: Any) -> str:
        return _format_exc_info(ei)
