"""Tables of the complaints service (not contract models, not HTTP schemas)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from careflow.shared.db.metadata import new_metadata
from careflow.shared.db.privileges import append_only

metadata = new_metadata()
TZ = DateTime(timezone=True)

regions = Table(
    "regions",
    metadata,
    Column("code", String(2), primary_key=True),
    Column("name", String(200), nullable=False),
    # Set only by platform support (never the regional admin API); null = closed.
    Column("board_hsa_id", String(40)),
    Column("board_name", String(200)),
    Column("board_set_at", TZ),
    Column("board_set_by", String(255)),
)

clinics = Table(
    "clinics",
    metadata,
    Column("hsa_id", String(40), primary_key=True),
    Column("region_code", String(2), nullable=False),
    Column("name", String(200), nullable=False),
    Column("added_at", TZ, nullable=False),
    Column("added_by", String(255), nullable=False),
    Index("ix_clinics_region_name", "region_code", "name"),
)

# The service addressing catalogue: clinics with their own case-handling system.
# Its own table and routes, apart from the regional admin's clinics.
clinic_endpoints = Table(
    "clinic_endpoints",
    metadata,
    Column("hsa_id", String(40), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("system_id", String(255), nullable=False),
    Column("updated_at", TZ, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("region_code", String(2), nullable=False),
    Column("place_hsa_id", String(40), nullable=False),
    Column("place_kind", String(8), nullable=False),
    Column("handled_in", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("resident_id", Uuid),
    Column("answer_channel", String(16)),
    Column("submitted_at", TZ, nullable=False),
    Column("due_at", TZ, nullable=False),
    Column("answered_at", TZ),
    Column("where_text", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("unknown_clinic", Text),
    Column("group_id", Uuid),
    Column("handler_id", String(255)),
    Column("external_status", String(16)),
    Index("ix_cases_place", "place_hsa_id", "submitted_at"),
    Index("ix_cases_resident", "resident_id", "submitted_at"),
    Index("ix_cases_open_due", "due_at", postgresql_where=text("status <> 'answered'")),
)

replies = Table(
    "replies",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.case_id"), nullable=False),
    Column("author", String(255), nullable=False),
    Column("final", Boolean, nullable=False),
    Column("text", Text, nullable=False),
    Column("at", TZ, nullable=False),
    Index("ix_replies_case", "case_id"),
)

groups = Table(
    "groups",
    metadata,
    Column("group_id", Uuid, primary_key=True),
    Column("place_hsa_id", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", TZ, nullable=False),
    Index("ix_groups_place", "place_hsa_id"),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", Uuid, ForeignKey("groups.group_id"), primary_key=True),
    Column("member_id", String(255), primary_key=True),
    Index("ix_group_members_member", "member_id"),
)

# Cases on their way to clinics' own systems; the sender takes due rows with
# FOR UPDATE SKIP LOCKED, so replicas share the work and never send one twice at once.
deliveries = Table(
    "deliveries",
    metadata,
    Column("case_id", Uuid, ForeignKey("cases.case_id"), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TZ, nullable=False),
    Column("delivered_at", TZ),
    Column("last_error", String(80)),
    Index("ix_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
)

audit_records = Table(
    "audit_records",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", TZ, nullable=False),
    Column("professional_id", String(255), nullable=False),
    Column("organisation_id", String(128), nullable=False),
    Column("unit_id", String(128)),
    # Null for an anonymous case: nobody to name.
    Column("resident_id", Uuid),
    Column("case_id", Uuid, nullable=False),
    Column("action", String(40), nullable=False),
    Column("purpose", String(40), nullable=False),
    Index("ix_audit_records_organisation_at", "organisation_id", "at"),
    # The service's database role may add and read audit rows, never change them.
    info=append_only(),
)
