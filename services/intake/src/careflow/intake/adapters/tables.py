"""Intake's tables. Free text and form answers are health data: they live only here."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from careflow.shared.db.metadata import new_metadata
from careflow.shared.db.privileges import append_only

metadata = new_metadata()
_ID = 128  # ExternalId length

residents = Table(
    "residents",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("communication_language", String(2), nullable=False),
    Column("name", String(200)),
    Column("email", String(254)),
    Column("phone", String(16)),
    Column("email_notifications", Boolean, nullable=False),
    Column("sms_notifications", Boolean, nullable=False),
    Column("phone_contact_allowed", Boolean, nullable=False),
    Column("service_consents", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True)),
)

cases = Table(
    "cases",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("resident_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("organisation_id", String(_ID), nullable=False, index=True),
    Column("unit_id", String(_ID)),
    Column("group_id", String(_ID)),
    Column("kind", String(40), nullable=False),
    Column("form_id", String(_ID)),
    Column("origin", String(20), nullable=False),
    Column("identification", String(20), nullable=False),
    Column("proxy_contact", Boolean, nullable=False),
    Column("submitted_by", UUID(as_uuid=True)),
    Column("created_by", String(_ID)),
    Column("language", String(2), nullable=False),
    Column("urgency", String(2)),
    Column("urgency_rules", String(64)),
    Column("phone_contact_allowed", Boolean, nullable=False),
    Column("private", Boolean, nullable=False),
    Column("results", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("taken_by", String(_ID)),
    Column("taken_at", DateTime(timezone=True)),
    Column("summary", Text),
    Column("closing_reason", String(40)),
    Column("closed_by", String(20)),
    Column("closing_professional_id", String(_ID)),
    Column("closing_proposal_id", UUID(as_uuid=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("closing_statement", Text),
    # Deadline of a pending professional proposal: what the 72-hour closer scans.
    Column("closes_at", DateTime(timezone=True)),
    Index("ix_cases_closes_at", "closes_at", postgresql_where=text("closes_at IS NOT NULL")),
)


def _child(name: str, *columns: Column) -> Table:  # type: ignore[type-arg]
    return Table(
        name,
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), nullable=False, index=True),
        *columns,
    )


closing_proposals = _child(
    "closing_proposals",
    Column("proposed_by", String(20), nullable=False),
    Column("professional_id", String(_ID)),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
    Column("deadline", DateTime(timezone=True)),
    Column("state", String(20), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("message_id", UUID(as_uuid=True)),
)
goals = _child(
    "goals",
    Column("text", Text, nullable=False),
    Column("set_by", String(20), nullable=False),
    Column("professional_id", String(_ID)),
    Column("set_at", DateTime(timezone=True), nullable=False),
    Column("edited_at", DateTime(timezone=True)),
    Column("edited_by", String(20)),
)
tasks = _child(
    "tasks",
    Column("kind", String(30), nullable=False),
    Column("instruction", Text, nullable=False),
    Column("language", String(2), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("latest_date", Date),
    Column("assigned_by", String(_ID), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    Column("filled_at", DateTime(timezone=True)),
)
coachings = _child(
    "coachings",
    Column("attached_by", String(_ID), nullable=False),
    Column("attached_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("end_reason", String(30)),
)

# The case's timeline: what happened and who acted, no content. The summary shows the latest 3.
case_events = Table(
    "case_events",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("actor", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_case_events_case_id_id", "case_id", "id"),
)

# Every read of a resident's data by a professional.
audit_records = Table(
    "audit_records",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("professional_id", String(_ID), nullable=False),
    Column("organisation_id", String(_ID), nullable=False),
    Column("unit_id", String(_ID)),
    Column("resident_id", UUID(as_uuid=True), nullable=False),
    Column("case_id", UUID(as_uuid=True)),
    Column("action", String(40), nullable=False),
    Column("purpose", String(40), nullable=False),
    Index("ix_audit_records_organisation_id_at", "organisation_id", "at"),
    Index("ix_audit_records_resident_id", "resident_id"),
    # The service's database role may add and read audit rows, never change them.
    info=append_only(),
)

# Bookings from the booking integration. No foreign key: a booking for a case
# not (yet) here is kept, not lost, and shows once the case exists.
bookings = Table(
    "bookings",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("organisation_id", String(_ID), nullable=False),
    Column("status", String(20), nullable=False),
    Column("starts_at", DateTime(timezone=True)),
    Column("ends_at", DateTime(timezone=True)),
    Column("service_code", String(_ID)),
    Column("location_id", String(_ID)),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancelled_by", String(20)),
)

# Work-queue events about a case intake does not know (yet), kept instead of retried:
# a retry would hold the whole partition. Written in the consumer's transaction
# with the inbox row, so never lost; applied when the case arrives, dead-lettered
# (with the envelope stored here) when it does not arrive in time.
parked_events = Table(
    "parked_events",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("topic", String(249), nullable=False),
    Column("consumer", String(200), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("source", String(200), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    Index("ix_parked_events_case_id_id", "case_id", "id"),
    Index("ix_parked_events_parked_at", "parked_at"),
)
