"""The gateway's one table: rate-limit windows shared by every replica."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, Table

from careflow.shared.db.metadata import new_metadata

metadata = new_metadata()

#: One row per limited key (a keyed hash of a subject or an address): the current
#: fixed window's start (epoch seconds) and count, and the previous window's count.
#: UNLOGGED (migration 0001): counters need no crash safety, and no WAL per request.
rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    Column("key", LargeBinary(16), primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("previous", Integer, nullable=False),
)
