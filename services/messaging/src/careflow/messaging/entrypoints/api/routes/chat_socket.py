"""Live chat over WebSocket: the protocol, its close codes, token expiry and resumption.

Endpoints
- `/chats/{chat_id}/socket?after=N` — the chat's resident, or the professional
  who opened it while present in its channel. Replays messages after N, then
  streams new ones.
- `/chat-queue/socket` — a professional's new-chat alerts (`new_chat` frames,
  header fields only) for channels where they are present with sound on.

Authentication: the FIRST frame must be `{"type": "auth", "token": "<access
token>"}` within `MESSAGING_CHAT__AUTH_TIMEOUT_SECONDS` (a header is not
available to browsers, and a query-string token ends up in access logs). The
socket closes when the token expires unless another `auth` frame of the same
subject has renewed it.

Client frames (JSON text): `auth`; `ping`; on a chat socket `send`
`{"type": "send", "client_message_id": "<uuid>", "text": "..."}` — answered by
`ack` `{client_message_id, sequence}`; a resend of the same client id after a
reconnect is acknowledged with the stored sequence and not stored twice.

Server frames: `ready` {chat header, last_sequence}; `message` {sequence,
sender, text, sent_at}, each sequence exactly once per socket and in order;
`ack`; `pong`; `error` {code, detail} (a refused send: rate_limited,
invalid_message, not_allowed — the socket stays open); `ended` {reason} then
close 1000; `new_chat` {chat header, sound: true}; `reauthenticated`.

Close codes: 1000 chat ended; 1009 frame larger than 16 KiB; 4400 protocol
error (not JSON, unknown type, bad fields, first frame not auth); 4401
authentication failed or timed out, or token expired; 4403 not allowed (not the
chat's resident / not present in the chat's channel / not its professional —
also when that stops being true while connected, before any further content);
4404 no such chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import jwt
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from careflow.messaging.adapters.chat_signals import Waker
from careflow.messaging.application.chat_delivery import Ended, Refused
from careflow.messaging.application.chat_flow import post_message
from careflow.messaging.application.chat_reading import (
    chat_read,
    messages_for_professional,
    messages_for_resident,
    sound_alert,
)
from careflow.messaging.domain.chat_errors import (
    ChatNotAllowed,
    ChatNotFound,
    ChatRuleError,
    InvalidChatRequest,
    NotPresent,
)
from careflow.messaging.domain.chats import Chat, ChatMessage, SenderKind
from careflow.messaging.entrypoints.api.chat_deps import staff_of
from careflow.messaging.entrypoints.api.chat_schemas import ChatHeaderOut, MessageOut
from careflow.shared.auth.claims import Principal, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.verify import AuthenticationError

router = APIRouter()

MAX_FRAME = 16 * 1024
CLOSE_ENDED = 1000
CLOSE_TOO_BIG = 1009
CLOSE_PROTOCOL = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


class Closed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthFrame(_Frame):
    type: str = Field(pattern="^auth$")
    token: str = Field(min_length=1, max_length=8192)


class SendFrame(_Frame):
    type: str = Field(pattern="^send$")
    client_message_id: UUID
    text: str = Field(max_length=5000)


class Session:
    """One authenticated socket: sends serialised, the token's expiry watched."""

    def __init__(self, socket: WebSocket, settings: Any) -> None:
        self.socket = socket
        self.settings = settings
        self.principal: Principal | None = None
        self.expires_at = 0.0
        # The token's expiry as a timer and a future rather than a task of its own: an
        # open socket keeps fewer objects for each full garbage collection to scan.
        self.expired: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._expiry: asyncio.TimerHandle | None = None
        self._send_lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.socket.send_text(json.dumps(frame, default=str))

    async def receive(self) -> dict[str, Any]:
        text = await self.socket.receive_text()
        if len(text.encode()) > MAX_FRAME:
            raise Closed(CLOSE_TOO_BIG, "frame too large")
        try:
            frame = json.loads(text)
        except ValueError:
            raise Closed(CLOSE_PROTOCOL, "frame is not JSON") from None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise Closed(CLOSE_PROTOCOL, "frame has no type")
        return frame

    def authenticate(self, frame: dict[str, Any]) -> Principal:
        try:
            auth = AuthFrame.model_validate(frame)
        except ValidationError:
            raise Closed(CLOSE_PROTOCOL, "bad auth frame") from None
        verifier = self.socket.app.state.token_verifier
        try:
            principal = verifier.verify(auth.token)
        except AuthenticationError:
            raise Closed(CLOSE_UNAUTHENTICATED, "invalid token") from None
        if self.principal is not None and (
            principal.subject != self.principal.subject or principal.actor != self.principal.actor
        ):
            raise Closed(CLOSE_UNAUTHENTICATED, "token of another subject")
        # Verified above; only its expiry is read again here.
        claims = jwt.decode(auth.token, options={"verify_signature": False})
        self.principal = principal
        self.expires_at = float(claims["exp"])
        self._watch_expiry()
        return principal

    async def first_auth(self) -> Principal:
        try:
            frame = await asyncio.wait_for(self.receive(), self.settings.auth_timeout_seconds)
        except TimeoutError:
            raise Closed(CLOSE_UNAUTHENTICATED, "authentication timed out") from None
        if frame["type"] != "auth":
            raise Closed(CLOSE_PROTOCOL, "first frame must be auth")
        return self.authenticate(frame)

    def _watch_expiry(self) -> None:
        """(Re)arms the timer at the current token's expiry; a renewal moves it."""
        if self._expiry is not None:
            self._expiry.cancel()
        self._expiry = asyncio.get_running_loop().call_later(
            max(0.0, self.expires_at - time.time()), self._expire
        )

    def _expire(self) -> None:
        if not self.expired.done():
            self.expired.set_exception(Closed(CLOSE_UNAUTHENTICATED, "token expired"))

    def close(self) -> None:
        """Stops the expiry timer (the socket is done)."""
        if self._expiry is not None:
            self._expiry.cancel()
        if not self.expired.done():
            self.expired.cancel()
        elif not self.expired.cancelled():
            self.expired.exception()  # seen: no "exception was never retrieved" log


async def _run(session: Session, *tasks: Callable[[], Awaitable[None]]) -> None:
    """Runs the socket's tasks until one ends or the token expires; closes with its code."""
    running = [asyncio.create_task(t()) for t in tasks]
    code, reason = CLOSE_ENDED, "bye"
    try:
        done, _ = await asyncio.wait(
            [*running, session.expired], return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            exc = task.exception()
            if isinstance(exc, Closed):
                code, reason = exc.code, exc.reason
            elif isinstance(exc, WebSocketDisconnect):
                return
            elif exc is not None:
                raise exc
    finally:
        session.close()
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(BaseException):
                await task
    with contextlib.suppress(Exception):
        await session.socket.close(code, reason)


@router.websocket("/chats/{chat_id}/socket")
async def chat_socket(socket: WebSocket, chat_id: UUID, after: int = 0) -> None:
    """A chat's live stream for its resident or its present professional (see module docs)."""
    container = socket.app.state.container
    session = Session(socket, container.settings.chat)
    await socket.accept()
    try:
        principal = await session.first_auth()
        if after < 0:
            raise Closed(CLOSE_PROTOCOL, "after must be >= 0")
        chat = await _admitted(container, principal, chat_id)  # closes before any content
    except Closed as closed:
        session.close()
        await socket.close(closed.code, closed.reason)
        return
    except WebSocketDisconnect:
        session.close()
        return
    await session.send(
        {"type": "ready", "chat": _header(chat), "last_sequence": chat.last_sequence}
    )
    # The process's feed of this chat: messages after `after` (the resume), then live ones,
    # the access rule applied by the feed at each delivery.
    deliveries = container.chat_deliveries
    if isinstance(principal, ResidentPrincipal):
        resident_id = container.resident_ids.of(principal.subject)
        sub = deliveries.subscribe(chat_id, after=after, resident_id=resident_id)
    else:
        sub = deliveries.subscribe(chat_id, after=after, staff=staff_of(principal))  # type: ignore[arg-type]

    async def push() -> None:
        audited = False
        while True:
            item = await sub.next()
            if isinstance(item, Refused):
                raise Closed(item.code, item.reason)
            if isinstance(item, Ended):
                await session.send({"type": "ended", "reason": item.reason})
                raise Closed(CLOSE_ENDED, "chat ended")
            if sub.staff is not None and not audited:
                # A professional's receipt of content: audited once per connection, first.
                await container.chat_read_audits.record(
                    chat_read(sub.staff, chat, container.clock())
                )
                audited = True
            for message in item.messages:
                await session.send(_message(message))

    async def listen() -> None:
        while True:
            frame = await session.receive()
            kind = frame["type"]
            if kind == "auth":
                session.authenticate(frame)
                await session.send({"type": "reauthenticated"})
            elif kind == "ping":
                await session.send({"type": "pong"})
            elif kind == "send":
                await _send(container, session, chat_id, frame)
            else:
                raise Closed(CLOSE_PROTOCOL, "unknown frame type")

    try:
        await _run(session, push, listen)
    finally:
        deliveries.unsubscribe(sub)


async def _admitted(container: Any, principal: Principal, chat_id: UUID) -> Chat:
    """The chat, if this principal may receive its content now; else the socket's close."""
    try:
        if isinstance(principal, ResidentPrincipal):
            resident_id = container.resident_ids.of(principal.subject)
            chat, _ = await messages_for_resident(
                container.chat_uow(), resident_id, chat_id, after=0, limit=0
            )
            return chat
        if isinstance(principal, ProfessionalPrincipal):
            chat, _ = await messages_for_professional(
                container.chat_uow(), staff_of(principal), chat_id, after=0, limit=0,
                now=container.clock(), audit=False,
            )  # fmt: skip
            return chat
    except ChatNotFound:
        raise Closed(CLOSE_NOT_FOUND, "no such chat") from None
    except NotPresent:
        raise Closed(CLOSE_FORBIDDEN, "chat content is not yours to see") from None
    raise Closed(CLOSE_FORBIDDEN, "only residents and professionals chat")


async def _send(container: Any, session: Session, chat_id: UUID, frame: dict[str, Any]) -> None:
    try:
        send = SendFrame.model_validate(frame)
    except ValidationError:
        raise Closed(CLOSE_PROTOCOL, "bad send frame") from None
    principal = session.principal
    if isinstance(principal, ResidentPrincipal):
        kind, sender = SenderKind.RESIDENT, str(container.resident_ids.of(principal.subject))
    else:
        kind, sender = SenderKind.PROFESSIONAL, principal.subject  # type: ignore[union-attr]
    limits = session.settings
    if not container.chat_hub.may_send(f"{kind}:{sender}", limits.per_second, limits.burst):
        # Refused before anything is stored: the client resends later with the same id.
        await session.send(
            {"type": "error", "code": "rate_limited", "detail": "Too many messages."}
        )
        return
    try:
        message = await post_message(
            container.chat_post_uow(), chat_id, kind=kind, sender_id=sender,
            client_message_id=send.client_message_id, text=send.text, now=container.clock(),
        )  # fmt: skip
    except NotPresent:
        raise Closed(CLOSE_FORBIDDEN, "chat content is not yours to see") from None
    except ChatRuleError as refused:
        code = "invalid_message" if isinstance(refused, InvalidChatRequest) else "not_allowed"
        if isinstance(refused, ChatNotAllowed | InvalidChatRequest):
            await session.send({"type": "error", "code": code, "detail": refused.detail})
            return
        await session.send({"type": "error", "code": "chat_state", "detail": refused.detail})
        return
    # Committed: this process's sockets of the chat get it without reading it back.
    container.chat_deliveries.posted(message)
    await session.send(
        {
            "type": "ack",
            "client_message_id": str(send.client_message_id),
            "sequence": message.sequence,
        }
    )


@router.websocket("/chat-queue/socket")
async def queue_socket(socket: WebSocket) -> None:
    """A professional's new-chat sound alerts (header fields only; see module docs)."""
    container = socket.app.state.container
    session = Session(socket, container.settings.chat)
    await socket.accept()
    try:
        principal = await session.first_auth()
        if not isinstance(principal, ProfessionalPrincipal):
            raise Closed(CLOSE_FORBIDDEN, "only professionals get new-chat alerts")
    except Closed as closed:
        session.close()
        await socket.close(closed.code, closed.reason)
        return
    except WebSocketDisconnect:
        session.close()
        return
    staff = staff_of(principal)
    await session.send({"type": "ready"})
    waker = Waker()
    hub = container.chat_hub
    hub.watch_new_chats(waker)

    async def push() -> None:
        while True:
            await waker.wait(session.settings.poll_seconds)
            waker.clear()
            pending, waker.new_chats = waker.new_chats, []
            for channel_id, chat_id in pending:
                chat = await sound_alert(container.chat_uow(), staff, channel_id, chat_id)
                if chat is not None:
                    await session.send({"type": "new_chat", "sound": True, "chat": _header(chat)})

    async def listen() -> None:
        while True:
            frame = await session.receive()
            if frame["type"] == "auth":
                session.authenticate(frame)
                await session.send({"type": "reauthenticated"})
            elif frame["type"] == "ping":
                await session.send({"type": "pong"})
            else:
                raise Closed(CLOSE_PROTOCOL, "unknown frame type")

    try:
        await _run(session, push, listen)
    finally:
        hub.forget(waker)


def _header(chat: Any) -> dict[str, Any]:
    return ChatHeaderOut.of(chat).model_dump(mode="json")


def _message(message: ChatMessage) -> dict[str, Any]:
    return {"type": "message", **MessageOut.of(message).model_dump(mode="json")}
