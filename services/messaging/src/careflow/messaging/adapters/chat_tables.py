"""Tables of the chat half of messaging: channels, presences, chats and their messages."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from careflow.messaging.adapters.tables import metadata
from careflow.shared.db.privileges import append_only

TZ = DateTime(timezone=True)

chat_channels = Table(
    "chat_channels",
    metadata,
    Column("channel_id", Uuid, primary_key=True),
    Column("organisation_id", String(255), nullable=False),
    Column("name", String(100), nullable=False),
    Column("visibility", String(16), nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("congestion_notice", Boolean, nullable=False),
    Column("congestion_text", Text),
    # {"time_zone", "weekly": {"0": [[start, end]]}, "exceptions": {"2026-12-24": []}}
    Column("opening_hours", JSONB),
    Column("next_transition_at", TZ),
    Column("updated_at", TZ, nullable=False),
    Index("ix_chat_channels_organisation", "organisation_id", "name"),
    # The opening-hours timer's query: channels whose next change has come.
    Index(
        "ix_chat_channels_due",
        "next_transition_at",
        postgresql_where=text("next_transition_at IS NOT NULL"),
    ),
)

chat_presences = Table(
    "chat_presences",
    metadata,
    Column("channel_id", Uuid, ForeignKey("chat_channels.channel_id"), primary_key=True),
    Column("professional_id", String(255), primary_key=True),
    Column("organisation_id", String(255), nullable=False),
    Column("present", Boolean, nullable=False),
    Column("notify_email", Boolean, nullable=False),
    Column("notify_sound", Boolean, nullable=False),
    Column("email", String(254)),
    Column("language", String(8), nullable=False),
    Column("updated_at", TZ, nullable=False),
    Index("ix_chat_presences_professional", "professional_id"),
)

chats = Table(
    "chats",
    metadata,
    Column("chat_id", Uuid, primary_key=True),
    Column("organisation_id", String(255), nullable=False),
    Column("channel_id", Uuid, ForeignKey("chat_channels.channel_id"), nullable=False),
    Column("resident_id", Uuid, nullable=False),
    Column("language", String(8), nullable=False),
    Column("case_id", Uuid),
    Column("status", String(16), nullable=False),
    Column("started_at", TZ, nullable=False),
    Column("waiting_since", TZ, nullable=False),
    Column("last_activity_at", TZ, nullable=False),
    Column("taken_by", String(255)),
    Column("taken_at", TZ),
    Column("ended_at", TZ),
    Column("end_reason", String(32)),
    Column("last_sequence", Integer, nullable=False),
    Index(
        "ix_chats_waiting",
        "channel_id",
        "waiting_since",
        postgresql_where=text("status = 'waiting'"),
    ),
    Index("ix_chats_taken_activity", "last_activity_at", postgresql_where=text("status = 'taken'")),
    Index("ix_chats_resident", "resident_id", "started_at"),
)

# Never updated or deleted: the transcript kept with the resident's case.
chat_messages = Table(
    "chat_messages",
    metadata,
    Column("chat_id", Uuid, ForeignKey("chats.chat_id"), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("sender_kind", String(16), nullable=False),
    Column("sender_id", String(255), nullable=False),
    # The sender's own id for the message: a resend after a reconnect finds it, not a copy.
    Column("client_message_id", Uuid, nullable=False),
    Column("text", Text, nullable=False),
    Column("sent_at", TZ, nullable=False),
    UniqueConstraint("chat_id", "client_message_id"),
    info=append_only(),
)

# A chat moved to non-urgent without a case: the case asked of intake, and when the
# transcript went onto it (null until intake's case event arrived).
chat_case_requests = Table(
    "chat_case_requests",
    metadata,
    Column("chat_id", Uuid, ForeignKey("chats.chat_id"), primary_key=True),
    Column("case_id", Uuid, nullable=False, unique=True),
    Column("requested_at", TZ, nullable=False),
    Column("attached_at", TZ),
)
