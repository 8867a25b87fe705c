"""notification_withdrawals: requests their requester withdrew before they were sent"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification_withdrawals",
        sa.Column("notification_id", sa.Uuid, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("replaced_by", sa.Uuid),
        sa.Column("withdrawn_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("notification_id", name="pk_notification_withdrawals"),
    )


def downgrade() -> None:
    op.drop_table("notification_withdrawals")
