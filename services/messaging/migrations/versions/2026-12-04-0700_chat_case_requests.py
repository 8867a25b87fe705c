"""chat_case_requests: the case asked of intake for a chat moved to non-urgent without one"""

import sqlalchemy as sa
from alembic import op

revision = "msg_0300"
down_revision = "msg_0200"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_case_requests",
        sa.Column("chat_id", sa.Uuid, nullable=False),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("attached_at", TZ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.chat_id"], name="fk_chat_case_requests_chat_id_chats"
        ),
        sa.PrimaryKeyConstraint("chat_id", name="pk_chat_case_requests"),
        sa.UniqueConstraint("case_id", name="uq_chat_case_requests_case_id"),
    )


def downgrade() -> None:
    op.drop_table("chat_case_requests")
