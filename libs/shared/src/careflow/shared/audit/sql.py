"""The one keyset query every service's audit log pages with (SQLAlchemy Core)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, Select, Table, literal, select, tuple_

from careflow.shared.audit.paging import AuditQuery


def organisation_records(table: Table, organisation_id: str, **filters: object) -> Select[Any]:
    """The organisation's rows of an audit table, narrowed by each filter that is given
    (column name -> value; None means no filter)."""
    stmt = select(table).where(table.c.organisation_id == organisation_id)
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(table.c[column] == value)
    return stmt


def keyset_page(
    stmt: Select[Any], at: ColumnElement[datetime], id: ColumnElement[int], query: AuditQuery
) -> Select[Any]:
    """`stmt` limited to the query's time range and position, newest first, with one
    row more than the limit so `page_of` can tell whether a next page exists.

    An index on (organisation, at) serves it: PostgreSQL compares the row
    (at, id) < (cursor.at, cursor.id) as one range condition.
    """
    if query.from_ is not None:
        stmt = stmt.where(at >= query.from_)
    if query.to is not None:
        stmt = stmt.where(at < query.to)
    if query.cursor is not None:
        position = _within(query.cursor.id, id)
        after = tuple_(literal(query.cursor.at, at.type), literal(position, id.type))
        stmt = stmt.where(tuple_(at, id) < after)
    return stmt.order_by(at.desc(), id.desc()).limit(query.limit + 1)


_INT32 = (-(2**31), 2**31 - 1)


def _within(value: int, column: ColumnElement[int]) -> int:
    """A cursor may name any 64-bit id; a 32-bit column holds fewer, and a position
    past its range orders like the range's end (no such record can exist)."""
    if isinstance(column.type, Integer) and not isinstance(column.type, BigInteger):
        low, high = _INT32
        return max(low, min(high, value))
    return value


__all__ = ["keyset_page", "organisation_records"]
