"""Tables of the work queue (not contract models, not HTTP schemas)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from careflow.shared.db.metadata import new_metadata
from careflow.shared.db.privileges import append_only

metadata = new_metadata()

queue_items = Table(
    "queue_items",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("resident_id", Uuid, nullable=False),
    Column("organisation_id", String(128), nullable=False),
    Column("unit_id", String(128)),
    Column("group_id", String(128)),
    Column("case_kind", String(40), nullable=False),
    Column("language", String(8), nullable=False),
    Column("proxy_contact", Boolean, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("original_urgency", String(2)),
    Column("urgency", String(2)),
    Column("urgency_rank", Integer, nullable=False),
    Column("immediate", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("assignee", String(128)),
    Column("taken_at", DateTime(timezone=True)),
    Column("ever_taken", Boolean, nullable=False),
    Column("resident_proposed_closing", Boolean, nullable=False),
    Column("closing_reason", String(40)),
    Column("closed_at", DateTime(timezone=True)),
    Column("response_due_at", DateTime(timezone=True)),
    Column("unread_messages", Integer, nullable=False, server_default=text("0")),
    # [{previous, current, reason_code, explanation, changed_by, changed_at}], append-only.
    Column("urgency_history", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Index(
        "ix_queue_items_org_status_sort",
        "organisation_id",
        "status",
        "urgency_rank",
        "submitted_at",
        "case_id",
    ),
    Index("ix_queue_items_org_assignee", "organisation_id", "assignee"),
    # The overdue gauge's scan: free items by due time.
    Index(
        "ix_queue_items_free_due",
        "response_due_at",
        postgresql_where=text("status = 'free'"),
    ),
    # The retention purge's scan: only ended items, oldest closing first.
    Index(
        "ix_queue_items_ended_closed_at",
        "closed_at",
        postgresql_where=text("status IN ('closed', 'removed')"),
    ),
)

# Events about a case not known yet (arrived before its CaseSubmitted); applied
# in order when the case enters the queue. Written with the inbox row, so never lost.
parked_events = Table(
    "parked_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("event_id", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
)

# Residents' names from intake's restricted names topic: the queue's last sort key,
# never shown by this service.
resident_names = Table(
    "resident_names",
    metadata,
    Column("resident_id", Uuid, primary_key=True),
    Column("name", String(200)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

audit_records = Table(
    "audit_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organisation_id", String(128), nullable=False),
    Column("professional_id", String(128), nullable=False),
    Column("resident_id", Uuid, nullable=False),
    Column("case_id", Uuid, nullable=False),
    Column("action", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("purpose", String(40), nullable=False),
    Index("ix_audit_records_org_at", "organisation_id", "at"),
    Index("ix_audit_records_org_resident_at", "organisation_id", "resident_id", "at"),
    Index("ix_audit_records_org_case_at", "organisation_id", "case_id", "at"),
    # The service's database role may add and read audit rows, never change them.
    info=append_only(),
)
