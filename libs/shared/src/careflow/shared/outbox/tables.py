"""Tables the platform adds to every service database: outbox and inbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from careflow.shared.db.metadata import new_metadata

NOTIFY_CHANNEL = "careflow_outbox"

platform_metadata: MetaData = new_metadata()

outbox = Table(
    "outbox",
    platform_metadata,
    # The sequence orders events: the relay publishes each key's events in id order.
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("topic", String(249), nullable=False),
    Column("key", String(200), nullable=False),
    Column("shard", SmallInteger, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("source", String(200), nullable=False),
    Column("subject", String(200)),
    Column("payload", JSONB, nullable=False),
    Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", SmallInteger, nullable=False, server_default=text("0")),
    Index(
        "ix_outbox_pending",
        "shard",
        "id",
        postgresql_where=text("published_at IS NULL"),
    ),
)

inbox = Table(
    "inbox",
    platform_metadata,
    Column("consumer", String(200), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("topic", String(249), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
)

# Wakes the relay the moment a transaction that wrote events commits
# (NOTIFY is delivered on commit only, never for a rolled-back insert).
NOTIFY_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION careflow_outbox_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
NOTIFY_TRIGGER_SQL = """
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION careflow_outbox_notify()
"""
DROP_NOTIFY_SQL = (
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "DROP FUNCTION IF EXISTS careflow_outbox_notify()",
)
