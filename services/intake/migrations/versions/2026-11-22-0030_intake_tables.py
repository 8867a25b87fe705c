"""platform tables (outbox, inbox) and intake's cases, sections, residents, timeline, audit"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from careflow.shared.outbox import platform_migration

revision = "0001"
down_revision = None

TABLES = (
    "audit_records",
    "case_events",
    "closing_proposals",
    "coachings",
    "goals",
    "tasks",
    "cases",
    "residents",
)


def upgrade() -> None:
    platform_migration.upgrade()
    op.create_table(
        "audit_records",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("professional_id", sa.String(length=128), nullable=False),
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.Column("unit_id", sa.String(length=128), nullable=True),
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records")),
    )
    op.create_index(
        "ix_audit_records_organisation_id_at",
        "audit_records",
        ["organisation_id", "at"],
        unique=False,
    )
    op.create_index("ix_audit_records_resident_id", "audit_records", ["resident_id"], unique=False)
    op.create_table(
        "cases",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.Column("unit_id", sa.String(length=128), nullable=True),
        sa.Column("group_id", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("form_id", sa.String(length=128), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("identification", sa.String(length=20), nullable=False),
        sa.Column("proxy_contact", sa.Boolean(), nullable=False),
        sa.Column("submitted_by", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("urgency", sa.String(length=2), nullable=True),
        sa.Column("phone_contact_allowed", sa.Boolean(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("results", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=128), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("closing_reason", sa.String(length=40), nullable=True),
        sa.Column("closed_by", sa.String(length=20), nullable=True),
        sa.Column("closing_professional_id", sa.String(length=128), nullable=True),
        sa.Column("closing_proposal_id", sa.UUID(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closing_statement", sa.Text(), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index(
        "ix_cases_closes_at",
        "cases",
        ["closes_at"],
        unique=False,
        postgresql_where=sa.text("closes_at IS NOT NULL"),
    )
    op.create_index(op.f("ix_cases_organisation_id"), "cases", ["organisation_id"], unique=False)
    op.create_index(op.f("ix_cases_resident_id"), "cases", ["resident_id"], unique=False)
    op.create_table(
        "residents",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("communication_language", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("email_notifications", sa.Boolean(), nullable=False),
        sa.Column("sms_notifications", sa.Boolean(), nullable=False),
        sa.Column("phone_contact_allowed", sa.Boolean(), nullable=False),
        sa.Column("service_consents", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index("ix_case_events_case_id_id", "case_events", ["case_id", "id"], unique=False)
    op.create_table(
        "closing_proposals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("proposed_by", sa.String(length=20), nullable=False),
        sa.Column("professional_id", sa.String(length=128), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_closing_proposals_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closing_proposals")),
    )
    op.create_index(
        op.f("ix_closing_proposals_case_id"), "closing_proposals", ["case_id"], unique=False
    )
    op.create_table(
        "coachings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("attached_by", sa.String(length=128), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_coachings_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coachings")),
    )
    op.create_index(op.f("ix_coachings_case_id"), "coachings", ["case_id"], unique=False)
    op.create_table(
        "goals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=20), nullable=False),
        sa.Column("professional_id", sa.String(length=128), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("edited_by", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_goals_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index(op.f("ix_goals_case_id"), "goals", ["case_id"], unique=False)
    op.create_table(
        "tasks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("latest_date", sa.Date(), nullable=True),
        sa.Column("assigned_by", sa.String(length=128), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_tasks_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_case_id"), "tasks", ["case_id"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
    platform_migration.downgrade()
