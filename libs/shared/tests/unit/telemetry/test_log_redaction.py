"""Logged tracebacks keep their shape and lose what the database quoted."""

from __future__ import annotations

import logging
import traceback

import asyncpg
from sqlalchemy.exc import IntegrityError

from careflow.shared.telemetry.log_redaction import (
    RedactingFormatter,
    RedactingJsonFormatter,
    format_exception,
)

EMAIL = "alice@example.fi"


def _raise_chain() -> BaseException:
    try:
        try:
            raise KeyError("inner")
        except KeyError as inner:
            raise ValueError("middle") from inner
    except ValueError:
        try:
            raise RuntimeError("outer")
        except RuntimeError as outer:
            return outer
    raise AssertionError("unreachable")


def _database_error() -> IntegrityError:
    driver = asyncpg.UniqueViolationError("duplicate key value violates unique constraint")
    driver.detail = f"Key (email)=({EMAIL}) already exists."  # type: ignore[attr-defined]
    driver.sqlstate = "23505"  # type: ignore[attr-defined]
    try:
        try:
            raise driver
        except asyncpg.UniqueViolationError as exc:
            raise IntegrityError("INSERT INTO contacts (email) VALUES ($1)", (EMAIL,), exc) from exc
    except IntegrityError as error:
        return error


def test_an_ordinary_traceback_is_formatted_as_python_formats_it() -> None:
    error = _raise_chain()
    assert format_exception(error) == "".join(traceback.format_exception(error)).rstrip("\n")


def test_a_database_error_keeps_its_type_state_and_statement_but_not_the_row() -> None:
    error = _database_error()
    assert EMAIL in "".join(traceback.format_exception(error))
    text = format_exception(error)
    assert EMAIL not in text
    assert "sqlalchemy.exc.IntegrityError" in text
    assert "asyncpg.exceptions.UniqueViolationError" in text
    assert "SQLSTATE 23505" in text
    assert "INSERT INTO contacts (email) VALUES ($1)" in text


def test_both_service_log_formats_withhold_it() -> None:
    error = _database_error()
    record = logging.LogRecord(
        "careflow.test",
        logging.ERROR,
        __file__,
        1,
        "unhandled error",
        None,
        (type(error), error, error.__traceback__),
    )
    for formatter in (RedactingFormatter(), RedactingJsonFormatter("%(message)s")):
        record.exc_text = None
        formatted = formatter.format(record)
        assert "IntegrityError" in formatted
        assert EMAIL not in formatted
