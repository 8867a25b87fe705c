"""Every query of the chat half: channels, presences, chats, messages (domain objects in/out).

A chat message's statements (the chat, the sender's presence, the resend check, the
insert, the chat's update) and every socket's read (the chat, the professional's
presences, the messages after a sequence) run on the driver connection
(`adapters/driver.py`): at 200 messages/s each message is one write and a read on each
of its two sockets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from careflow.messaging.adapters.chat_tables import (
    chat_case_requests,
    chat_channels,
    chat_presences,
    chats,
)
from careflow.messaging.adapters.driver import driver
from careflow.messaging.domain.audit import AuditRecord
from careflow.messaging.domain.channels import Channel, Visibility
from careflow.messaging.domain.chat_access import ChatHead, ChatSnapshot
from careflow.messaging.domain.chat_case import ChatCaseRequest
from careflow.messaging.domain.chat_presence import Presence
from careflow.messaging.domain.chats import Chat, ChatMessage, ChatStatus, EndReason, SenderKind
from careflow.messaging.domain.opening_hours import Interval, OpeningHours


def hours_to_json(hours: OpeningHours | None) -> dict[str, Any] | None:
    if hours is None:
        return None
    return {
        "time_zone": hours.time_zone,
        "weekly": {str(d): [[i.start, i.end] for i in v] for d, v in hours.weekly.items()},
        "exceptions": {
            day.isoformat(): [[i.start, i.end] for i in v] for day, v in hours.exceptions.items()
        },
    }


def hours_from_json(data: dict[str, Any] | None) -> OpeningHours | None:
    if data is None:
        return None
    return OpeningHours(
        data["time_zone"],
        {int(d): tuple(Interval(a, b) for a, b in v) for d, v in data["weekly"].items()},
        {
            date.fromisoformat(d): tuple(Interval(a, b) for a, b in v)
            for d, v in data["exceptions"].items()
        },
    )


def _channel(row: Any) -> Channel:
    return Channel(
        channel_id=row.channel_id, organisation_id=row.organisation_id, name=row.name,
        visibility=Visibility(row.visibility), is_open=row.is_open,
        congestion_notice=row.congestion_notice, congestion_text=row.congestion_text,
        opening_hours=hours_from_json(row.opening_hours),
        next_transition_at=row.next_transition_at, updated_at=row.updated_at,
    )  # fmt: skip


def _channel_values(c: Channel) -> dict[str, Any]:
    return {
        "channel_id": c.channel_id, "organisation_id": c.organisation_id, "name": c.name,
        "visibility": c.visibility.value, "is_open": c.is_open,
        "congestion_notice": c.congestion_notice, "congestion_text": c.congestion_text,
        "opening_hours": hours_to_json(c.opening_hours),
        "next_transition_at": c.next_transition_at, "updated_at": c.updated_at,
    }  # fmt: skip


class SqlChannels:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, channel_id: UUID, *, for_update: bool = False) -> Channel | None:
        query = select(chat_channels).where(chat_channels.c.channel_id == channel_id)
        row = (await self._s.execute(query.with_for_update() if for_update else query)).first()
        return _channel(row) if row else None

    async def add(self, channel: Channel) -> None:
        await self._s.execute(insert(chat_channels).values(**_channel_values(channel)))

    async def save(self, channel: Channel) -> None:
        values = _channel_values(channel)
        await self._s.execute(
            update(chat_channels)
            .where(chat_channels.c.channel_id == channel.channel_id)
            .values(**values)
        )

    async def of_organisation(self, organisation_id: str) -> list[Channel]:
        query = (
            select(chat_channels)
            .where(chat_channels.c.organisation_id == organisation_id)
            .order_by(chat_channels.c.name, chat_channels.c.channel_id)
        )
        return [_channel(r) for r in await self._s.execute(query)]

    async def due(self, now: datetime, limit: int) -> list[Channel]:
        query = (
            select(chat_channels)
            .where(chat_channels.c.next_transition_at <= now)
            .order_by(chat_channels.c.next_transition_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_channel(r) for r in await self._s.execute(query)]


_PRESENCE_FIELDS = tuple(c.name for c in chat_presences.c)
_PRESENCE_COLUMNS = ", ".join(_PRESENCE_FIELDS)
_SELECT_PRESENCE = (
    f"SELECT {_PRESENCE_COLUMNS} FROM chat_presences"  # noqa: S608 (fixed names only)
    " WHERE channel_id = $1 AND professional_id = $2"
)
_SELECT_PRESENCES_OF = (
    f"SELECT {_PRESENCE_COLUMNS} FROM chat_presences"  # noqa: S608 (fixed names only)
    " WHERE organisation_id = $1 AND professional_id = $2"
)


def _presence(row: Mapping[str, Any]) -> Presence:
    return Presence(**{name: row[name] for name in _PRESENCE_FIELDS})


class SqlPresences:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, channel_id: UUID, professional_id: str) -> Presence | None:
        connection = await driver(self._s)
        row = await connection.fetchrow(_SELECT_PRESENCE, channel_id, professional_id)
        return _presence(row) if row else None

    async def save(self, p: Presence) -> None:
        values = {
            "channel_id": p.channel_id, "professional_id": p.professional_id,
            "organisation_id": p.organisation_id, "present": p.present,
            "notify_email": p.notify_email, "notify_sound": p.notify_sound, "email": p.email,
            "language": p.language, "updated_at": p.updated_at,
        }  # fmt: skip
        statement = pg_insert(chat_presences).values(**values)
        await self._s.execute(
            statement.on_conflict_do_update(
                index_elements=["channel_id", "professional_id"],
                set_={
                    k: statement.excluded[k]
                    for k in values
                    if k not in ("channel_id", "professional_id")
                },
            )
        )

    async def of_professional(self, organisation_id: str, professional_id: str) -> list[Presence]:
        connection = await driver(self._s)
        rows = await connection.fetch(_SELECT_PRESENCES_OF, organisation_id, professional_id)
        return [_presence(r) for r in rows]

    async def present_in(self, channel_id: UUID) -> list[Presence]:
        query = select(chat_presences).where(
            chat_presences.c.channel_id == channel_id, chat_presences.c.present.is_(True)
        )
        return [_presence(r) for r in (await self._s.execute(query)).mappings()]


_CHAT_COLUMNS = tuple(c.name for c in chats.c)
_SELECT_CHAT = f"SELECT {', '.join(_CHAT_COLUMNS)} FROM chats WHERE chat_id = $1"  # noqa: S608
_SELECT_CHAT_FOR_UPDATE = _SELECT_CHAT + " FOR UPDATE"
_UPDATE_CHAT = (
    "UPDATE chats SET "  # noqa: S608 (fixed names only)
    + ", ".join(f"{name} = ${i}" for i, name in enumerate(_CHAT_COLUMNS[1:], start=2))
    + " WHERE chat_id = $1"
)


def _chat(row: Mapping[str, Any]) -> Chat:
    return Chat(
        chat_id=row["chat_id"], organisation_id=row["organisation_id"],
        channel_id=row["channel_id"], resident_id=row["resident_id"],
        language=row["language"], case_id=row["case_id"], started_at=row["started_at"],
        waiting_since=row["waiting_since"], last_activity_at=row["last_activity_at"],
        status=ChatStatus(row["status"]), taken_by=row["taken_by"], taken_at=row["taken_at"],
        ended_at=row["ended_at"],
        end_reason=EndReason(row["end_reason"]) if row["end_reason"] else None,
        last_sequence=row["last_sequence"],
    )  # fmt: skip


def _chat_values(c: Chat) -> dict[str, Any]:
    return {
        "chat_id": c.chat_id, "organisation_id": c.organisation_id, "channel_id": c.channel_id,
        "resident_id": c.resident_id, "language": c.language, "case_id": c.case_id,
        "status": c.status.value, "started_at": c.started_at, "waiting_since": c.waiting_since,
        "last_activity_at": c.last_activity_at, "taken_by": c.taken_by, "taken_at": c.taken_at,
        "ended_at": c.ended_at, "end_reason": c.end_reason.value if c.end_reason else None,
        "last_sequence": c.last_sequence,
    }  # fmt: skip


class SqlChats:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, chat_id: UUID, *, for_update: bool = False) -> Chat | None:
        # A chat message's and a socket read's first statement: it begins the transaction.
        connection = await driver(self._s)
        query = _SELECT_CHAT_FOR_UPDATE if for_update else _SELECT_CHAT
        row = await connection.fetchrow(query, chat_id)
        return _chat(row) if row else None

    async def add(self, chat: Chat) -> None:
        await self._s.execute(insert(chats).values(**_chat_values(chat)))

    async def save(self, chat: Chat) -> None:
        values = _chat_values(chat)
        connection = await driver(self._s)
        await connection.execute(_UPDATE_CHAT, *(values[name] for name in _CHAT_COLUMNS))

    async def waiting_in(self, channel_ids: Sequence[UUID]) -> list[Chat]:
        if not channel_ids:
            return []
        query = (
            select(chats)
            .where(chats.c.channel_id.in_(channel_ids), chats.c.status == ChatStatus.WAITING.value)
            .order_by(chats.c.waiting_since, chats.c.chat_id)
        )
        return [_chat(r) for r in (await self._s.execute(query)).mappings()]

    async def idle_since(self, before: datetime, limit: int) -> list[Chat]:
        query = (
            select(chats)
            .where(chats.c.status == ChatStatus.TAKEN.value, chats.c.last_activity_at <= before)
            .order_by(chats.c.last_activity_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_chat(r) for r in (await self._s.execute(query)).mappings()]


_INSERT_MESSAGE = (
    "INSERT INTO chat_messages"
    " (chat_id, sequence, sender_kind, sender_id, client_message_id, text, sent_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
)
_MESSAGE_COLUMNS = "chat_id, sequence, sender_kind, sender_id, text, sent_at"
_SELECT_BY_CLIENT_ID = (
    f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages"  # noqa: S608 (fixed names only)
    " WHERE chat_id = $1 AND client_message_id = $2"
)
_SELECT_AFTER = (
    f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages"  # noqa: S608 (fixed names only)
    " WHERE chat_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3"
)


def _message(row: Mapping[str, Any]) -> ChatMessage:
    return ChatMessage(
        row["chat_id"], row["sequence"], SenderKind(row["sender_kind"]), row["sender_id"],
        row["text"], row["sent_at"],
    )  # fmt: skip


class SqlChatMessages:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, m: ChatMessage, client_message_id: UUID) -> None:
        connection = await driver(self._s)
        await connection.execute(
            _INSERT_MESSAGE, m.chat_id, m.sequence, m.sender_kind.value, m.sender_id,
            client_message_id, m.text, m.sent_at,
        )  # fmt: skip

    async def by_client_id(self, chat_id: UUID, client_message_id: UUID) -> ChatMessage | None:
        connection = await driver(self._s)
        row = await connection.fetchrow(_SELECT_BY_CLIENT_ID, chat_id, client_message_id)
        return _message(row) if row else None

    async def after(self, chat_id: UUID, sequence: int, limit: int) -> list[ChatMessage]:
        connection = await driver(self._s)
        return [
            _message(r) for r in await connection.fetch(_SELECT_AFTER, chat_id, sequence, limit)
        ]


class SqlChatCaseRequests:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, request: ChatCaseRequest) -> None:
        await self._s.execute(
            pg_insert(chat_case_requests)
            .values(
                chat_id=request.chat_id,
                case_id=request.case_id,
                requested_at=request.requested_at,
                attached_at=request.attached_at,
            )
            .on_conflict_do_nothing(index_elements=["chat_id"])
        )

    async def for_case(self, case_id: UUID) -> ChatCaseRequest | None:
        query = (
            select(chat_case_requests)
            .where(chat_case_requests.c.case_id == case_id)
            .with_for_update()
        )
        row = (await self._s.execute(query)).first()
        if row is None:
            return None
        return ChatCaseRequest(row.chat_id, row.case_id, row.requested_at, row.attached_at)

    async def attached(self, chat_id: UUID, at: datetime) -> None:
        await self._s.execute(
            update(chat_case_requests)
            .where(chat_case_requests.c.chat_id == chat_id)
            .values(attached_at=at)
        )


_PRESENT_TAKER = (
    "EXISTS (SELECT 1 FROM chat_presences p WHERE p.channel_id = c.channel_id"
    " AND p.professional_id = c.taken_by AND p.organisation_id = c.organisation_id"
    " AND p.present)"
)
_SELECT_SNAPSHOT = (
    f"SELECT {', '.join('c.' + name for name in _CHAT_COLUMNS)},"  # noqa: S608 (fixed names)
    f" {_PRESENT_TAKER} AS taker_present,"
    " m.sequence AS m_sequence, m.sender_kind AS m_sender_kind, m.sender_id AS m_sender_id,"
    " m.text AS m_text, m.sent_at AS m_sent_at"
    " FROM chats c LEFT JOIN LATERAL ("
    "SELECT sequence, sender_kind, sender_id, text, sent_at FROM chat_messages"
    " WHERE chat_id = c.chat_id AND sequence > $2 ORDER BY sequence LIMIT $3) m ON true"
    " WHERE c.chat_id = $1 ORDER BY m.sequence"
)
_SELECT_HEADS = (
    "SELECT c.chat_id, c.last_sequence, c.status, c.channel_id, c.taken_by,"  # noqa: S608
    f" {_PRESENT_TAKER} AS taker_present FROM chats c WHERE c.chat_id = ANY($1::uuid[])"
)


class SqlChatSnapshots:
    """Live delivery's reads, each ONE statement on a pooled connection and outside any
    transaction (a statement is its own snapshot: the presence check and the messages
    agree), with no session or unit of work around it: at 200 messages/s these are the
    chat's most frequent statements. The caller bounds how many run at once."""

    def __init__(self, engine: Callable[[], AsyncEngine]) -> None:
        self._engine = engine

    async def read(self, chat_id: UUID, after: int, limit: int) -> ChatSnapshot | None:
        async with self._engine().connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            rows = await raw.fetch(_SELECT_SNAPSHOT, chat_id, after, limit)
        if not rows:
            return None
        messages = [_message_of_snapshot(chat_id, r) for r in rows if r["m_sequence"] is not None]
        return ChatSnapshot(_chat(rows[0]), rows[0]["taker_present"], messages)

    async def heads(self, chat_ids: Sequence[UUID]) -> dict[UUID, ChatHead]:
        async with self._engine().connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            rows = await raw.fetch(_SELECT_HEADS, list(chat_ids))
        return {r["chat_id"]: _head(r) for r in rows}


def _message_of_snapshot(chat_id: UUID, r: Mapping[str, Any]) -> ChatMessage:
    return ChatMessage(
        chat_id, r["m_sequence"], SenderKind(r["m_sender_kind"]), r["m_sender_id"],
        r["m_text"], r["m_sent_at"],
    )  # fmt: skip


def _head(r: Mapping[str, Any]) -> ChatHead:
    return ChatHead(
        r["last_sequence"], r["status"], r["channel_id"], r["taken_by"], r["taker_present"]
    )


_INSERT_AUDITS = (
    "INSERT INTO audit_records"
    " (organisation_id, professional_id, unit_id, resident_id, case_id, action, at, purpose)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::uuid[],"
    " $6::text[], $7::timestamptz[], $8::text[])"
)


class SqlReadAudits:
    """Audit records of sockets' first deliveries: many in ONE statement on a pooled
    connection (it commits by itself), no unit of work around it."""

    def __init__(self, engine: Callable[[], AsyncEngine]) -> None:
        self._engine = engine

    async def record(self, records: Sequence[AuditRecord]) -> None:
        columns = list(zip(*(
            (r.organisation_id, r.professional_id, r.unit_id, r.resident_id, r.case_id,
             r.action, r.at, r.purpose)
            for r in records
        ), strict=True))  # fmt: skip
        async with self._engine().connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            await raw.execute(_INSERT_AUDITS, *(list(c) for c in columns))
