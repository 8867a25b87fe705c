"""notifications: an index for the communication history's keyset pages"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    # Each history page is a range of (received_at, notification_id) of one resident.
    op.create_index(
        "ix_notifications_history",
        "notifications",
        ["resident_id", "received_at", "notification_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_history", table_name="notifications")
