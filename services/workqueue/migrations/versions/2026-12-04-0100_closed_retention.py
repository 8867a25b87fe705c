"""queue_items: index for the closed-queue retention purge"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_index(
        "ix_queue_items_ended_closed_at",
        "queue_items",
        ["closed_at"],
        postgresql_where=sa.text("status IN ('closed', 'removed')"),
    )


def downgrade() -> None:
    op.drop_index("ix_queue_items_ended_closed_at", table_name="queue_items")
