"""The one keyset query every service's audit log pages with (SQLAlchemy Core)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, literal, tuple_

from careflow.shared.audit.paging import AuditQuery


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
        after = tuple_(literal(query.cursor.at, at.type), literal(query.cursor.id, id.type))
        stmt = stmt.where(tuple_(at, id) < after)
    return stmt.order_by(at.desc(), id.desc()).limit(query.limit + 1)


__all__ = ["keyset_page"]
