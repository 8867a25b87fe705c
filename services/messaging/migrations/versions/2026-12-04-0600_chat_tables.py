"""chat tables: chat_channels, chat_presences, chats, chat_messages (append-only); audit
records of chat reads may name no case"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "msg_0200"
down_revision = "msg_0110"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.alter_column("audit_records", "case_id", existing_type=sa.Uuid, nullable=True)
    op.create_table(
        "chat_channels",
        sa.Column("channel_id", sa.Uuid, nullable=False),
        sa.Column("organisation_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.Column("congestion_notice", sa.Boolean, nullable=False),
        sa.Column("congestion_text", sa.Text),
        sa.Column("opening_hours", JSONB),
        sa.Column("next_transition_at", TZ),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name="pk_chat_channels"),
    )
    op.create_index("ix_chat_channels_organisation", "chat_channels", ["organisation_id", "name"])
    op.create_index(
        "ix_chat_channels_due",
        "chat_channels",
        ["next_transition_at"],
        postgresql_where=sa.text("next_transition_at IS NOT NULL"),
    )
    op.create_table(
        "chat_presences",
        sa.Column("channel_id", sa.Uuid, nullable=False),
        sa.Column("professional_id", sa.String(255), nullable=False),
        sa.Column("organisation_id", sa.String(255), nullable=False),
        sa.Column("present", sa.Boolean, nullable=False),
        sa.Column("notify_email", sa.Boolean, nullable=False),
        sa.Column("notify_sound", sa.Boolean, nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "professional_id", name="pk_chat_presences"),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["chat_channels.channel_id"],
            name="fk_chat_presences_channel_id_chat_channels",
        ),
    )
    op.create_index("ix_chat_presences_professional", "chat_presences", ["professional_id"])
    op.create_table(
        "chats",
        sa.Column("chat_id", sa.Uuid, nullable=False),
        sa.Column("organisation_id", sa.String(255), nullable=False),
        sa.Column("channel_id", sa.Uuid, nullable=False),
        sa.Column("resident_id", sa.Uuid, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("case_id", sa.Uuid),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("waiting_since", TZ, nullable=False),
        sa.Column("last_activity_at", TZ, nullable=False),
        sa.Column("taken_by", sa.String(255)),
        sa.Column("taken_at", TZ),
        sa.Column("ended_at", TZ),
        sa.Column("end_reason", sa.String(32)),
        sa.Column("last_sequence", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_chats"),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["chat_channels.channel_id"], name="fk_chats_channel_id_chat_channels"
        ),
    )
    op.create_index(
        "ix_chats_waiting",
        "chats",
        ["channel_id", "waiting_since"],
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_index(
        "ix_chats_taken_activity",
        "chats",
        ["last_activity_at"],
        postgresql_where=sa.text("status = 'taken'"),
    )
    op.create_index("ix_chats_resident", "chats", ["resident_id", "started_at"])
    op.create_table(
        "chat_messages",
        sa.Column("chat_id", sa.Uuid, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("sender_kind", sa.String(16), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("client_message_id", sa.Uuid, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sent_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "sequence", name="pk_chat_messages"),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.chat_id"], name="fk_chat_messages_chat_id_chats"
        ),
        sa.UniqueConstraint(
            "chat_id", "client_message_id", name="uq_chat_messages_chat_id_client_message_id"
        ),
    )


def downgrade() -> None:
    op.execute("DELETE FROM audit_records WHERE case_id IS NULL")
    op.alter_column("audit_records", "case_id", existing_type=sa.Uuid, nullable=False)
    op.drop_table("chat_messages")
    op.drop_table("chats")
    op.drop_table("chat_presences")
    op.drop_table("chat_channels")
