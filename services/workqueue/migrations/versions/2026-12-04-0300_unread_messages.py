"""queue_items.unread_messages: the resident's messages no professional has read"""

import sqlalchemy as sa
from alembic import op

revision = "wq_0700"
down_revision = "0006"


def upgrade() -> None:
    op.add_column(
        "queue_items",
        sa.Column("unread_messages", sa.Integer, nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    op.drop_column("queue_items", "unread_messages")
