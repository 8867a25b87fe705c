"""The one keyset query every communication history page is read with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, literal, tuple_

from careflow.notification.adapters.tables import notifications
from careflow.notification.domain.history import HistoryCursor


def history_page(stmt: Select[Any], limit: int, after: HistoryCursor | None) -> Select[Any]:
    """`stmt` (over `notifications`) from just after `after`, newest first, with one row
    more than `limit` so the page can tell whether a next one exists.

    The index on (resident_id, received_at, notification_id) serves it: PostgreSQL
    compares the row (received_at, notification_id) < cursor as one range condition.
    """
    n = notifications.c
    if after is not None:
        position = tuple_(
            literal(after.received_at, n.received_at.type),
            literal(after.notification_id, n.notification_id.type),
        )
        stmt = stmt.where(tuple_(n.received_at, n.notification_id) < position)
    order = (n.received_at.desc(), n.notification_id.desc())
    return stmt.order_by(*order).limit(limit + 1)
