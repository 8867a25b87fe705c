"""work queue tables: queue_items, parked_events, audit_records"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "queue_items",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("resident_id", sa.Uuid, nullable=False),
        sa.Column("organisation_id", sa.String(128), nullable=False),
        sa.Column("unit_id", sa.String(128)),
        sa.Column("group_id", sa.String(128)),
        sa.Column("case_kind", sa.String(40), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("proxy_contact", sa.Boolean, nullable=False),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("added_at", TZ, nullable=False),
        sa.Column("original_urgency", sa.String(2)),
        sa.Column("urgency", sa.String(2)),
        sa.Column("urgency_rank", sa.Integer, nullable=False),
        sa.Column("immediate", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(128)),
        sa.Column("taken_at", TZ),
        sa.Column("ever_taken", sa.Boolean, nullable=False),
        sa.Column("resident_proposed_closing", sa.Boolean, nullable=False),
        sa.Column("closing_reason", sa.String(40)),
        sa.Column("closed_at", TZ),
        sa.Column("urgency_history", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.PrimaryKeyConstraint("case_id", name="pk_queue_items"),
    )
    op.create_index(
        "ix_queue_items_org_status_sort",
        "queue_items",
        ["organisation_id", "status", "urgency_rank", "submitted_at", "case_id"],
    )
    op.create_index("ix_queue_items_org_assignee", "queue_items", ["organisation_id", "assignee"])
    op.create_table(
        "parked_events",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("parked_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parked_events"),
    )
    op.create_index("ix_parked_events_case_id", "parked_events", ["case_id"])
    op.create_table(
        "audit_records",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("organisation_id", sa.String(128), nullable=False),
        sa.Column("professional_id", sa.String(128), nullable=False),
        sa.Column("resident_id", sa.Uuid, nullable=False),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_records"),
    )
    op.create_index(
        "ix_audit_records_org_resident_at",
        "audit_records",
        ["organisation_id", "resident_id", "at"],
    )
    op.create_index(
        "ix_audit_records_org_case_at", "audit_records", ["organisation_id", "case_id", "at"]
    )


def downgrade() -> None:
    op.drop_table("audit_records")
    op.drop_table("parked_events")
    op.drop_table("queue_items")
