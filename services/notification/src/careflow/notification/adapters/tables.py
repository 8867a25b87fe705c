"""Tables of the notification service (not contract models, not HTTP schemas)."""

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

# The projection of intake's resident events. The only place holding residents'
# addresses; a later event with null forgets them.
resident_contacts = Table(
    "resident_contacts",
    metadata,
    Column("resident_id", Uuid, primary_key=True),
    Column("consents_known", Boolean, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("email_opt_in", Boolean, nullable=False),
    Column("sms_opt_in", Boolean, nullable=False),
    Column("phone_permission", Boolean, nullable=False),
    Column("language", String(8), nullable=False),
    Column("time_zone", String(64)),
    Column("has_email", Boolean, nullable=False),
    Column("has_phone", Boolean, nullable=False),
    Column("email", String(254)),
    Column("phone", String(16)),
    Column("consents_at", TZ),
    Column("details_at", TZ),
    Column("language_at", TZ),
    Column("withdrawn_at", TZ),
)

# One row per notification request (idempotent by notification_id); `parked`
# while the resident is unknown, `decided` once its deliveries exist.
notifications = Table(
    "notifications",
    metadata,
    Column("notification_id", Uuid, primary_key=True),
    Column("resident_id", Uuid),
    Column("purpose", String(40), nullable=False),
    Column("channels", JSONB, nullable=False),
    Column("link", String(500), nullable=False),
    Column("case_id", Uuid),
    Column("deadline", TZ),
    Column("not_before", TZ),
    Column("status", String(16), nullable=False),
    Column("source", String(200), nullable=False),
    Column("received_at", TZ, nullable=False),
    # On whose behalf a request without a case was made: its professionals see it in the
    # resident's history (domain/professional_access.py). Null for intake's own triggers.
    Column("organisation_id", String(128)),
    Index("ix_notifications_resident_status", "resident_id", "status"),
    # The history's keyset pages (adapters/history.py).
    Index("ix_notifications_history", "resident_id", "received_at", "notification_id"),
    Index(
        "ix_notifications_parked",
        "received_at",
        postgresql_where=text("status = 'parked'"),
    ),
)

# The durable send queue: one row per (notification, channel). The sender takes
# due rows with FOR UPDATE SKIP LOCKED, so replicas share the work.
deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", Uuid, primary_key=True),
    Column("notification_id", Uuid, nullable=False),
    Column("resident_id", Uuid),
    Column("channel", String(8), nullable=False),
    Column("recipient", String(254)),  # professionals' work email only
    Column("subject", String(200)),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(80)),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TZ),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    Column("sent_at", TZ),
    Column("provider_ref", String(200)),
    Index(
        "ix_deliveries_due",
        "channel",
        "next_attempt_at",
        postgresql_where=text("status IN ('queued', 'retrying')"),
    ),
    Index("ix_deliveries_resident", "resident_id", "created_at"),
)

# Requests their requester withdrew (reminders: the appointment was cancelled or moved).
# The sender's claim skips every delivery of a notification named here, in the claim's
# own statement, so a withdrawal committed before the claim is never sent.
notification_withdrawals = Table(
    "notification_withdrawals",
    metadata,
    Column("notification_id", Uuid, primary_key=True),
    Column("reason", String(40), nullable=False),
    Column("replaced_by", Uuid),
    Column("withdrawn_at", TZ, nullable=False),
)

# Every step of every delivery: queued, retrying (with the error code), sent,
# failed, suppressed (with the reason). Append-only.
delivery_steps = Table(
    "delivery_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Uuid, nullable=False),
    Column("status", String(16), nullable=False),
    Column("code", String(80)),
    Column("attempt", Integer, nullable=False),
    Column("at", TZ, nullable=False),
    Index("ix_delivery_steps_delivery", "delivery_id", "id"),
)

# Which organisation each of a resident's cases belongs to (intake's CaseSubmitted /
# CaseCreatedByProfessional): a professional sees the notifications about their own
# organisation's cases, and a resident's history only if they have one there.
# `anonymous` and `guardian_id` address the case's notifications (domain/addressing.py).
resident_cases = Table(
    "resident_cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("resident_id", Uuid, nullable=False),
    Column("organisation_id", String(128), nullable=False),
    Column("opened_at", TZ, nullable=False),
    Column("anonymous", Boolean, nullable=False, server_default=text("false")),
    Column("guardian_id", Uuid),
    Index("ix_resident_cases_resident_organisation", "resident_id", "organisation_id"),
    Index("ix_resident_cases_guardian", "guardian_id"),
)

# Every read of a resident's communication history by a professional: who, when,
# which resident, what. Written in the read's own transaction.
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
    Column("items", Integer, nullable=False),
    Column("purpose", String(40), nullable=False),
    Index("ix_audit_records_organisation_at", "organisation_id", "at"),
    Index("ix_audit_records_resident", "resident_id"),
    # The service's database role may add and read audit rows, never change them.
    info=append_only(),
)
