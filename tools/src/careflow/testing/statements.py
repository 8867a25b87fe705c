"""What a service sends to PostgreSQL: every statement of its pooled connections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

#: (SQL text, arguments) of each statement a connection sent, in order.
Sent = list[tuple[str, Any]]


@contextmanager
def statements_by_connection(engine: AsyncEngine) -> Iterator[dict[int, Sent]]:
    """Every statement the engine's pooled connections send meanwhile, per connection.
    asyncpg calls its query loggers soon after a statement, not at once: read the result
    after the event loop had a turn."""
    sent: dict[int, Sent] = {}
    logged: set[int] = set()

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        raw = dbapi_connection.driver_connection
        if id(raw) not in logged:
            logged.add(id(raw))
            raw.add_query_logger(
                lambda r, key=id(raw): sent.setdefault(key, []).append((r.query, r.args))
            )

    event.listen(engine.sync_engine, "checkout", on_checkout)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "checkout", on_checkout)


def around(sent: dict[int, Sent], marker: str, value: str) -> tuple[list[str], int]:
    """The statements of the one connection that sent `marker` with `value` among its
    arguments, and that statement's index among them."""
    [found] = [
        ([q for q, _ in statements], index)
        for statements in sent.values()
        for index, (query, args) in enumerate(statements)
        if marker in query and value in repr(args)
    ]
    return found
