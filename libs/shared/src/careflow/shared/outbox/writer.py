"""Appending contract events to the outbox inside the caller's transaction."""

from __future__ import annotations

import uuid
import zlib
from datetime import UTC, datetime
from functools import lru_cache

from opentelemetry import propagate
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.contracts.base import ContractEvent
from careflow.contracts.topics import TopicRegistry
from careflow.shared.db.driver import driver_connection, json_param
from careflow.shared.outbox.tables import outbox

_COLUMNS = (
    "event_id",
    "topic",
    "key",
    "shard",
    "event_type",
    "source",
    "subject",
    "payload",
    "headers",
    "occurred_at",
)
_JSON = frozenset({"payload", "headers"})
#: Up to this many rows go in one multi-row INSERT (one statement per row count, each
#: prepared once per connection); more go through executemany.
_ONE_STATEMENT_ROWS = 8


@lru_cache(maxsize=_ONE_STATEMENT_ROWS)
def _insert(rows: int) -> str:
    width = len(_COLUMNS)
    values = ", ".join(
        "(" + ", ".join(f"${r * width + c}" for c in range(1, width + 1)) + ")" for r in range(rows)
    )
    return f"INSERT INTO outbox ({', '.join(_COLUMNS)}) VALUES {values}"  # noqa: S608 (fixed names only)


def shard_of(key: str, shards: int) -> int:
    # crc32 is stable across processes (hash() is salted per process).
    return zlib.crc32(key.encode()) % shards


class Outbox:
    """Collects a use case's events; written by `flush()` before the commit."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        source: str,
        topics: TopicRegistry,
        shards: int = 16,
    ) -> None:
        self._session = session
        self._source = source
        self._topics = topics
        self._shards = shards
        self._pending: list[dict[str, object]] = []

    def add(self, event: ContractEvent, *, occurred_at: datetime | None = None) -> str:
        """Queue one event; returns its CloudEvents id."""
        topic = self._topics.for_event(event)
        key = event.key()
        carrier: dict[str, str] = {}
        # The current span (an HTTP request, a consumer) becomes the parent of
        # the relay's publish span, so one trace crosses the outbox.
        propagate.inject(carrier)
        event_id = str(uuid.uuid4())
        self._pending.append(
            {
                "event_id": event_id,
                "topic": topic.name,
                "key": key,
                "shard": shard_of(key, self._shards),
                "event_type": event.event_type,
                "source": self._source,
                "subject": key,
                "payload": event.model_dump(mode="json"),
                "headers": {k: v for k, v in carrier.items() if k in ("traceparent", "tracestate")},
                "occurred_at": occurred_at or datetime.now(UTC),
            }
        )
        return event_id

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> None:
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        # Every accepted submission and every consumed event that changes something
        # writes here: on the driver connection when the transaction is already open
        # (careflow.shared.db.driver), one prepared statement. A use case's few events go
        # in one multi-row statement: asyncpg's executemany cost about four single
        # statements' CPU for two rows (messaging's message and notification request).
        if (driver := await driver_connection(self._session)) is not None:
            values = [
                [row[name] if name not in _JSON else json_param(row[name]) for name in _COLUMNS]
                for row in rows
            ]
            if len(values) <= _ONE_STATEMENT_ROWS:
                await driver.execute(_insert(len(values)), *(v for row in values for v in row))
            else:
                await driver.executemany(_insert(1), values)
            return
        await self._session.execute(insert(outbox), rows)
