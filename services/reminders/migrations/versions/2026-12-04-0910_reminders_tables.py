"""reminders tables: reminders and their sends, bookings, cases, contacts, rules, templates,
settings, audit_records"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"

TABLES = [
    "audit_records",
    "bookings",
    "case_residents",
    "clinical_counts",
    "organisation_settings",
    "reminder_sends",
    "reminders",
    "resident_contacts",
    "rules",
    "template_texts",
    "templates",
]


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("professional_id", sa.String(length=128), nullable=False),
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.Column("unit_id", sa.String(length=128), nullable=True),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records")),
    )
    op.create_index(
        "ix_audit_records_organisation_at", "audit_records", ["organisation_id", "at"], unique=False
    )
    op.create_index("ix_audit_records_resident", "audit_records", ["resident_id"], unique=False)
    op.create_table(
        "bookings",
        sa.Column("booking_id", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_bookings")),
    )
    op.create_table(
        "case_residents",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_residents")),
    )
    op.create_index(
        "ix_case_residents_resident_org",
        "case_residents",
        ["resident_id", "organisation_id"],
        unique=False,
    )
    op.create_table(
        "clinical_counts",
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "resident_id", "organisation_id", "code", name=op.f("pk_clinical_counts")
        ),
    )
    op.create_table(
        "organisation_settings",
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.Column("appointment_lead_minutes", sa.Integer(), nullable=False),
        sa.Column("appointment_channels", postgresql.JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_organisation_settings")),
    )
    op.create_table(
        "reminder_sends",
        sa.Column("send_id", sa.Uuid(), nullable=False),
        sa.Column("reminder_id", sa.Uuid(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channels", postgresql.JSONB(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("send_id", name=op.f("pk_reminder_sends")),
    )
    op.create_index("ix_reminder_sends_reminder", "reminder_sends", ["reminder_id"], unique=False)
    op.create_index(
        "ix_reminder_sends_due",
        "reminder_sends",
        ["send_at"],
        unique=False,
        postgresql_where=sa.text("status = 'scheduled'"),
    )
    op.create_table(
        "reminders",
        sa.Column("reminder_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channels", postgresql.JSONB(), nullable=False),
        sa.Column("booking_id", sa.String(length=128), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=128), nullable=True),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reminder_id", name=op.f("pk_reminders")),
    )
    op.create_index(
        "ix_reminders_org_due", "reminders", ["organisation_id", "due_at"], unique=False
    )
    op.create_index("uq_reminders_booking", "reminders", ["booking_id"], unique=True)
    op.create_index("ix_reminders_case", "reminders", ["case_id"], unique=False)
    op.create_index(
        "uq_reminders_rule_resident",
        "reminders",
        ["rule_id", "resident_id"],
        unique=True,
        postgresql_where=sa.text("rule_id IS NOT NULL"),
    )
    op.create_index(
        "ix_reminders_template", "reminders", ["template_id", "template_version"], unique=False
    )
    op.create_index("ix_reminders_resident", "reminders", ["resident_id", "due_at"], unique=False)
    op.create_table(
        "resident_contacts",
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("has_email", sa.Boolean(), nullable=False),
        sa.Column("has_phone", sa.Boolean(), nullable=False),
        sa.Column("email_opt_in", sa.Boolean(), nullable=False),
        sa.Column("sms_opt_in", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_resident_contacts")),
    )
    op.create_table(
        "rules",
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=24), nullable=False),
        sa.Column("match", sa.String(length=8), nullable=False),
        sa.Column("conditions", postgresql.JSONB(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("channels", postgresql.JSONB(), nullable=False),
        sa.Column("days_until_due", sa.Integer(), nullable=False),
        sa.Column("days_before_due", postgresql.JSONB(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_rules")),
    )
    op.create_index("ix_rules_org", "rules", ["organisation_id"], unique=False)
    op.create_table(
        "template_texts",
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "template_id", "language", "version", name=op.f("pk_template_texts")
        ),
    )
    op.create_table(
        "templates",
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("template_id", name=op.f("pk_templates")),
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
