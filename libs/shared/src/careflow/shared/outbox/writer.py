"""Appending contract events to the outbox inside the caller's transaction."""

from __future__ import annotations

import uuid
import zlib
from datetime import UTC, datetime
from functools import lru_cache

from opentelemetry import propagate
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.contracts.base import ContractEvent
from careflow.contracts.topics import TopicRegistry
from careflow.shared.db.driver import json_param, value_rows
from careflow.shared.db.write_batch import WriteBatch, write_in_transaction

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
#: The row counts whose INSERT text is kept (each is prepared once per connection).
_ONE_STATEMENT_ROWS = 8
#: Rows per INSERT at most: a consumed batch of thousands of events would otherwise pass
#: PostgreSQL's 32,767 values in one statement (careflow.shared.db.write_batch).
_ROWS_PER_PART = 1_000


@lru_cache(maxsize=_ONE_STATEMENT_ROWS)
def _insert(rows: int) -> str:
    # More rows than the cache holds are rare (a pass over many cases): built each time.
    values = value_rows(rows, len(_COLUMNS))
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
        #: Rows handed to a write batch since the transaction began (or the last commit).
        self.written = 0

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

    def move_to(self, batch: WriteBatch) -> None:
        """Hands the queued rows to the unit of work's batch, one multi-row INSERT."""
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        self.written += len(rows)
        # Every accepted submission and every consumed event that changes something
        # writes here. A use case's few events go in one statement: asyncpg's executemany
        # cost about four single statements' CPU for two rows (messaging's message and
        # notification request), and with the batch the rows ride on the commit's one
        # round trip.
        for start in range(0, len(rows), _ROWS_PER_PART):
            part = rows[start : start + _ROWS_PER_PART]
            values = [json_param(r[n]) if n in _JSON else r[n] for r in part for n in _COLUMNS]
            batch.add(_insert(len(part)), *values)

    async def flush(self) -> None:
        """Writes the queued rows now, inside the transaction (begun if need be)."""
        batch = WriteBatch()
        self.move_to(batch)
        await write_in_transaction(self._session, batch)
