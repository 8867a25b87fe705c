"""The one metadata of messaging and the tables every part of it shares (audit records).

Case-message tables are in `message_tables`, chat tables in modules of their own; each
defines its tables on this metadata, and `migrations/env.py` imports them all.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, String, Table, Uuid

from careflow.shared.db.metadata import new_metadata
from careflow.shared.db.privileges import append_only

metadata = new_metadata()

audit_records = Table(
    "audit_records",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("organisation_id", String(128), nullable=False),
    Column("professional_id", String(255), nullable=False),
    Column("unit_id", String(128)),
    Column("resident_id", Uuid, nullable=False),
    # Null for a chat read: a chat need not name a case (migration msg_0200).
    Column("case_id", Uuid),
    Column("action", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("purpose", String(40), nullable=False),
    Index("ix_audit_records_org_at", "organisation_id", "at"),
    Index("ix_audit_records_org_resident_at", "organisation_id", "resident_id", "at"),
    Index("ix_audit_records_org_case_at", "organisation_id", "case_id", "at"),
    # The service's database role may add and read audit rows, never change them.
    info=append_only(),
)
