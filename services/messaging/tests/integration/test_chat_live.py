"""Two real WebSocket clients against a real server: live exchange, resumption, token expiry,
protocol errors with their close codes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from websockets.exceptions import InvalidStatus

from .chat_harness import (
    ChatServer,
    authed,
    chat_server,
    frame,
    next_of,
    send,
    taken_chat,
    until_closed,
)

ORG = "org-live"


@pytest.fixture(scope="module")
async def server(postgres, kafka, tmp_path_factory) -> AsyncIterator[ChatServer]:  # type: ignore[no-untyped-def]
    # A sender's budget refills at 0.1 message/s here: the rate-limit test never races it.
    async with chat_server(
        postgres, kafka, tmp_path_factory.mktemp("chat-live"), per_second=0.1, burst=8
    ) as running:
        yield running


async def test_a_resident_and_a_professional_exchange_messages_live(server: ChatServer) -> None:
    chat_id = await taken_chat(server, ORG, "res-live-1", "pro-live-1")
    async with (
        server.socket(f"/chats/{chat_id}/socket") as resident,
        server.socket(f"/chats/{chat_id}/socket") as professional,
    ):
        assert (await authed(resident, server.resident_token("res-live-1")))["type"] == "ready"
        assert (await authed(professional, server.pro_token("pro-live-1", ORG)))["type"] == "ready"
        await resident.send(send("My child has a fever"))
        assert (await next_of(resident, "ack"))["sequence"] == 1
        got = await next_of(professional, "message")
        assert (got["sequence"], got["sender"], got["text"]) == (
            1,
            "resident",
            "My child has a fever",
        )
        await professional.send(send("How high is it?"))
        reply = await next_of(resident, "message")
        while reply["sequence"] == 1:  # the resident's own message comes back first
            reply = await next_of(resident, "message")
        assert (reply["sequence"], reply["sender"], reply["text"]) == (
            2,
            "professional",
            "How high is it?",
        )


async def test_a_dropped_connection_resumes_from_its_last_sequence_with_nothing_lost_or_doubled(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-live-2", "pro-live-2")
    resident_token, pro_token = (
        server.resident_token("res-live-2"),
        server.pro_token("pro-live-2", ORG),
    )
    unacked = uuid.uuid4()
    async with server.socket(f"/chats/{chat_id}/socket") as professional:
        await authed(professional, pro_token)
        async with server.socket(f"/chats/{chat_id}/socket") as resident:
            await authed(resident, resident_token)
            await resident.send(send("first"))
            assert (await next_of(resident, "message"))["sequence"] == 1
        # Dropped. Meanwhile the professional writes twice.
        for text in ("second", "third"):
            await professional.send(send(text))
            await next_of(professional, "ack")
        # The resident's client had sent this one before the drop but saw no ack: it resends.
        async with server.socket(f"/chats/{chat_id}/socket?after=1") as resident:
            await authed(resident, resident_token)
            await resident.send(send("fourth", unacked))
            await resident.send(send("fourth", unacked))
            seen: list[tuple[int, str]] = []
            acks: list[int] = []
            while len(seen) < 3 or len(acks) < 2:
                got = await frame(resident)
                if got["type"] == "message":
                    seen.append((got["sequence"], got["text"]))
                elif got["type"] == "ack":
                    acks.append(got["sequence"])
            assert seen == [(2, "second"), (3, "third"), (4, "fourth")]
            assert acks == [4, 4]
    page = await server.http.get(
        f"/me/chats/{chat_id}/messages", headers=server.bearer(resident_token)
    )
    assert [m["text"] for m in page.json()["messages"]] == ["first", "second", "third", "fourth"]


async def test_the_socket_closes_when_its_token_expires(server: ChatServer) -> None:
    chat_id = await taken_chat(server, ORG, "res-live-3", "pro-live-3")
    async with server.socket(f"/chats/{chat_id}/socket") as resident:
        await authed(resident, server.resident_token("res-live-3", ttl=2))
        closing = await until_closed(resident)
    assert (closing.code, closing.reason) == (4401, "token expired")


async def test_a_renewed_token_keeps_the_socket_open_past_the_first_expiry(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-live-4", "pro-live-4")
    async with server.socket(f"/chats/{chat_id}/socket") as resident:
        # Short-lived, yet long enough for the first auth (a database read) and the
        # renewal on a loaded machine: with ttl=2 (an `exp` 1-2 s away, whole seconds)
        # a slow first auth let the socket expire before the renewal reached it.
        first = server.resident_token("res-live-4", ttl=5)
        await authed(resident, first)
        await resident.send(
            json.dumps({"type": "auth", "token": server.resident_token("res-live-4")})
        )
        assert (await next_of(resident, "reauthenticated"))["type"] == "reauthenticated"
        # Until the first token's expiry (the socket's timer runs on the wall clock) is
        # well past.
        expires = jwt.decode(first, options={"verify_signature": False})["exp"]
        await asyncio.sleep(max(0.0, expires - time.time()) + 1.0)
        await resident.send(json.dumps({"type": "ping"}))
        assert (await next_of(resident, "pong"))["type"] == "pong"


@pytest.mark.parametrize(
    ("first", "code", "reason"),
    [
        ("not json", 4400, "frame is not JSON"),
        (json.dumps({"type": "ping"}), 4400, "first frame must be auth"),
        (json.dumps({"type": "auth", "token": "x.y.z"}), 4401, "invalid token"),
        (json.dumps({"type": "auth"}), 4400, "bad auth frame"),
    ],
)
async def test_a_bad_first_frame_closes_with_its_documented_code(
    server: ChatServer, first: str, code: int, reason: str
) -> None:
    async with server.socket(f"/chats/{uuid.uuid4()}/socket") as ws:
        await ws.send(first)
        closing = await until_closed(ws)
    assert (closing.frames, closing.code, closing.reason) == ([], code, reason)


async def test_an_unknown_frame_after_auth_closes_with_a_protocol_error(server: ChatServer) -> None:
    chat_id = await taken_chat(server, ORG, "res-live-5", "pro-live-5")
    async with server.socket(f"/chats/{chat_id}/socket") as ws:
        await authed(ws, server.resident_token("res-live-5"))
        await ws.send(json.dumps({"type": "shout"}))
        closing = await until_closed(ws)
    assert (closing.code, closing.reason) == (4400, "unknown frame type")


async def test_a_socket_path_that_fails_validation_is_refused_not_a_server_error(
    server: ChatServer,
) -> None:
    # Sockets skip the HTTP middleware stack (lean_sockets) but keep FastAPI's exception
    # handlers: a validation error is refused (403) rather than escaping as a 500.
    with pytest.raises(InvalidStatus) as refused:
        async with server.socket("/chats/not-a-chat-id/socket"):
            pass
    assert refused.value.response.status_code == 403


async def test_no_auth_frame_in_time_closes_the_socket(server: ChatServer) -> None:
    async with server.socket(f"/chats/{uuid.uuid4()}/socket") as ws:
        closing = await until_closed(ws)
    assert (closing.code, closing.reason) == (4401, "authentication timed out")


async def test_someone_elses_chat_and_an_unknown_chat_close_before_any_content(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-live-6", "pro-live-6")
    for path, token, code in (
        (f"/chats/{chat_id}/socket", server.resident_token("res-live-other"), 4404),
        (f"/chats/{uuid.uuid4()}/socket", server.resident_token("res-live-6"), 4404),
    ):
        async with server.socket(path) as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            closing = await until_closed(ws)
        assert (closing.frames, closing.code) == ([], code)


async def test_posting_is_rate_limited_per_sender_across_their_sockets_and_nothing_refused_is_kept(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-live-7", "pro-live-7")
    token = server.resident_token("res-live-7")
    burst = server.container.settings.chat.burst
    async with (
        server.socket(f"/chats/{chat_id}/socket") as one,
        server.socket(f"/chats/{chat_id}/socket") as two,
    ):
        await authed(one, token)
        await authed(two, token)
        for n in range(burst):
            await one.send(send(f"burst {n}"))
        first = [await next_of_any(one, "ack", "error") for _ in range(burst)]
        for n in range(3):
            await two.send(send(f"over {n}"))
        second = [await next_of_any(two, "ack", "error") for _ in range(3)]
    assert {a["type"] for a in first} == {"ack"}
    assert [a.get("code") for a in second] == ["rate_limited"] * 3
    page = await server.http.get(f"/me/chats/{chat_id}/messages", headers=server.bearer(token))
    assert len(page.json()["messages"]) == burst


async def next_of_any(ws: Any, *kinds: str) -> dict[str, Any]:
    while True:
        got = await frame(ws)
        if got["type"] in kinds:
            return got
