"""Tables of case messages: what messaging knows of cases, the messages, read states."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    String,
    Table,
    Text,
    Uuid,
    false,
)

from careflow.messaging.adapters.tables import metadata

#: What messaging learned of each case from intake's events (intake.cases.v1).
message_cases = Table(
    "message_cases",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("resident_id", Uuid, nullable=False),
    Column("organisation_id", String(128), nullable=False),
    Column("unit_id", String(128)),
    Column("language", String(8), nullable=False),
    Column("identification", String(16), nullable=False),
    Column("proxy_contact", Boolean, nullable=False, server_default=false()),
    Column("guardian_id", Uuid),
    Column("closed_at", DateTime(timezone=True)),
    Column("closing_reason", String(40)),
    #: The professional's closing proposal the resident may still object to.
    Column("open_proposal_id", Uuid),
    Column("objection_deadline", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

case_messages = Table(
    "case_messages",
    metadata,
    Column("id", Uuid, primary_key=True),
    #: Insertion order: the keyset of a case's pages and of read marks.
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("case_id", Uuid, nullable=False),
    Column("author_side", String(16), nullable=False),
    #: The professional's id, or the resident's pseudonymous id (never a token subject).
    Column("author_id", String(255), nullable=False),
    Column("body", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("objects_to_proposal_id", Uuid),
    Index("ix_case_messages_case_seq", "case_id", "seq"),
    # The send limit counts a sender's recent messages.
    Index("ix_case_messages_author_sent", "author_id", "sent_at"),
)

#: How far each side (resident, professionals) has read a case's messages.
case_read_states = Table(
    "case_read_states",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("side", String(16), primary_key=True),
    Column("read_seq", BigInteger, nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=False),
    Column("read_by", String(255), nullable=False),
)
