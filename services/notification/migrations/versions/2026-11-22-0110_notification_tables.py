"""notification tables: resident_contacts, notifications, deliveries, delivery_steps"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resident_contacts",
        sa.Column("resident_id", sa.Uuid, nullable=False),
        sa.Column("consents_known", sa.Boolean, nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("email_opt_in", sa.Boolean, nullable=False),
        sa.Column("sms_opt_in", sa.Boolean, nullable=False),
        sa.Column("phone_permission", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("time_zone", sa.String(64)),
        sa.Column("has_email", sa.Boolean, nullable=False),
        sa.Column("has_phone", sa.Boolean, nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(16)),
        sa.Column("consents_at", TZ),
        sa.Column("details_at", TZ),
        sa.Column("language_at", TZ),
        sa.Column("withdrawn_at", TZ),
        sa.PrimaryKeyConstraint("resident_id", name="pk_resident_contacts"),
    )
    op.create_table(
        "notifications",
        sa.Column("notification_id", sa.Uuid, nullable=False),
        sa.Column("resident_id", sa.Uuid),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("channels", JSONB, nullable=False),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("case_id", sa.Uuid),
        sa.Column("deadline", TZ),
        sa.Column("not_before", TZ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("notification_id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_resident_status", "notifications", ["resident_id", "status"])
    op.create_index(
        "ix_notifications_parked",
        "notifications",
        ["received_at"],
        postgresql_where=sa.text("status = 'parked'"),
    )
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.Uuid, nullable=False),
        sa.Column("notification_id", sa.Uuid, nullable=False),
        sa.Column("resident_id", sa.Uuid),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(254)),
        sa.Column("subject", sa.String(200)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(80)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("provider_ref", sa.String(200)),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_deliveries"),
    )
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["channel", "next_attempt_at"],
        postgresql_where=sa.text("status IN ('queued', 'retrying')"),
    )
    op.create_index("ix_deliveries_resident", "deliveries", ["resident_id", "created_at"])
    op.create_table(
        "delivery_steps",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code", sa.String(80)),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_steps"),
    )
    op.create_index("ix_delivery_steps_delivery", "delivery_steps", ["delivery_id", "id"])


def downgrade() -> None:
    op.drop_table("delivery_steps")
    op.drop_table("deliveries")
    op.drop_table("notifications")
    op.drop_table("resident_contacts")
