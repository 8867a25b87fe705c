"""Tables of the reminders service (not contract models, not HTTP schemas)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from careflow.shared.db.metadata import new_metadata
from careflow.shared.db.privileges import append_only

metadata = new_metadata()
TZ = DateTime(timezone=True)

reminders = Table(
    "reminders",
    metadata,
    Column("reminder_id", Uuid, primary_key=True),
    Column("organisation_id", String(128), nullable=False),
    Column("resident_id", Uuid),  # null until a booking's case is known
    Column("kind", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("due_at", TZ, nullable=False),
    Column("channels", JSONB, nullable=False),
    Column("booking_id", String(128)),
    Column("case_id", Uuid),
    Column("rule_id", Uuid),
    Column("code", String(128)),
    Column("template_id", Uuid),
    Column("template_version", Integer),
    Column("language", String(8)),
    Column("text", Text),
    Column("assignee", String(128)),
    Column("created_by", String(128)),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    Index("ix_reminders_org_due", "organisation_id", "due_at"),
    Index("ix_reminders_resident", "resident_id", "due_at"),
    Index("ix_reminders_case", "case_id"),
    Index("uq_reminders_booking", "booking_id", unique=True),
    Index(
        "uq_reminders_rule_resident",
        "rule_id",
        "resident_id",
        unique=True,
        postgresql_where=text("rule_id IS NOT NULL"),
    ),
    Index("ix_reminders_template", "template_id", "template_version"),
)

# The durable send queue. The scheduler claims due `scheduled` rows with FOR UPDATE
# SKIP LOCKED and writes each one's NotificationRequested to the outbox in the same
# transaction: a send goes out once across replicas and restarts.
reminder_sends = Table(
    "reminder_sends",
    metadata,
    Column("send_id", Uuid, primary_key=True),  # = the notification_id of its request
    Column("reminder_id", Uuid, nullable=False),
    Column("send_at", TZ, nullable=False),
    Column("status", String(16), nullable=False),
    Column("channels", JSONB),  # what was requested (after opt-outs)
    Column("requested_at", TZ),
    Column("withdrawn_at", TZ),
    Column("reason", String(40)),
    Index("ix_reminder_sends_reminder", "reminder_id"),
    Index("ix_reminder_sends_due", "send_at", postgresql_where=text("status = 'scheduled'")),
)

bookings = Table(
    "bookings",
    metadata,
    Column("booking_id", String(128), primary_key=True),
    Column("case_id", Uuid, nullable=False),
    Column("organisation_id", String(128), nullable=False),
    Column("starts_at", TZ),
    Column("confirmed_at", TZ),
    Column("cancelled_at", TZ),
)

case_residents = Table(
    "case_residents",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("resident_id", Uuid, nullable=False),
    Column("organisation_id", String(128), nullable=False),
    Index("ix_case_residents_resident_org", "resident_id", "organisation_id"),
)

resident_contacts = Table(
    "resident_contacts",
    metadata,
    Column("resident_id", Uuid, primary_key=True),
    Column("has_email", Boolean, nullable=False),
    Column("has_phone", Boolean, nullable=False),
    Column("email_opt_in", Boolean, nullable=False),
    Column("sms_opt_in", Boolean, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("language", String(8), nullable=False),
    Column("updated_at", TZ, nullable=False),
)

# How often each resident had each code performed / added, per organisation:
# the rules' "number of visits".
clinical_counts = Table(
    "clinical_counts",
    metadata,
    Column("resident_id", Uuid, primary_key=True),
    Column("organisation_id", String(128), primary_key=True),
    Column("code", String(128), primary_key=True),
    Column("visits", Integer, nullable=False),
    Column("last_at", TZ, nullable=False),
)

organisation_settings = Table(
    "organisation_settings",
    metadata,
    Column("organisation_id", String(128), primary_key=True),
    Column("appointment_lead_minutes", Integer, nullable=False),
    Column("appointment_channels", JSONB, nullable=False),
    Column("updated_at", TZ, nullable=False),
)

rules = Table(
    "rules",
    metadata,
    Column("rule_id", Uuid, primary_key=True),
    Column("organisation_id", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("trigger", String(24), nullable=False),
    Column("match", String(8), nullable=False),
    Column("conditions", JSONB, nullable=False),
    Column("template_id", Uuid),
    Column("channels", JSONB, nullable=False),
    Column("days_until_due", Integer, nullable=False),
    Column("days_before_due", JSONB, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", TZ, nullable=False),
    Index("ix_rules_org", "organisation_id"),
)

templates = Table(
    "templates",
    metadata,
    Column("template_id", Uuid, primary_key=True),
    Column("organisation_id", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", TZ, nullable=False),
)

template_texts = Table(
    "template_texts",
    metadata,
    Column("template_id", Uuid, primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("created_at", TZ, nullable=False),
)

# Every read of residents' reminders by a professional. Written in the read's transaction.
audit_records = Table(
    "audit_records",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", TZ, nullable=False),
    Column("professional_id", String(128), nullable=False),
    Column("organisation_id", String(128), nullable=False),
    Column("unit_id", String(128)),
    Column("resident_id", Uuid, nullable=False),
    Column("action", String(40), nullable=False),
    Column("purpose", String(40), nullable=False),
    Index("ix_audit_records_organisation_at", "organisation_id", "at"),
    Index("ix_audit_records_resident", "resident_id"),
    info=append_only(),
)
