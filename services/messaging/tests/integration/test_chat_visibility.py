"""No chat content reaches a professional who is not present in the chat's channel: every
chat route and every socket frame type, for an absent colleague, a present colleague who did
not open the chat, the taker after leaving the channel, and the taker after a transfer away."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from .chat_harness import (
    ChatServer,
    authed,
    be_present,
    chat_server,
    frame,
    next_of,
    open_channel,
    send,
    until_closed,
)

ORG = "org-visibility"
HEADER_FIELDS = {
    "chat_id", "channel_id", "status", "language", "waiting_since", "taken_by", "ended_reason"
}  # fmt: skip


@pytest.fixture(scope="module")
async def server(postgres, kafka, tmp_path_factory) -> AsyncIterator[ChatServer]:  # type: ignore[no-untyped-def]
    async with chat_server(postgres, kafka, tmp_path_factory.mktemp("chat-visibility")) as running:
        yield running


@dataclass
class Scene:
    chat_id: str
    channel_id: str
    other_channel: str
    secret: str
    resident_token: str


async def scene(server: ChatServer, tag: str) -> Scene:
    """A chat in channel A opened by `taker-<tag>` (present in A), with a secret message in it;
    `absent-<tag>` present in B only (with sound), `colleague-<tag>` present in A."""
    a = await open_channel(server, ORG)
    b = await open_channel(server, ORG)
    await be_present(server, ORG, a, f"taker-{tag}")
    await be_present(server, ORG, a, f"colleague-{tag}", notify_sound=True)
    await be_present(server, ORG, b, f"absent-{tag}", notify_sound=True)
    token = server.resident_token(f"res-{tag}")
    started = await server.http.post(
        "/chats", json={"channel_id": a, "language": "fi"}, headers=server.bearer(token)
    )
    chat_id = started.json()["chat"]["chat_id"]
    secret = f"secret-{uuid.uuid4().hex}"
    async with server.socket(f"/chats/{chat_id}/socket") as ws:
        await authed(ws, token)
        await ws.send(send(secret))
        await next_of(ws, "ack")
    took = await server.http.post(
        f"/chats/{chat_id}/take", headers=server.bearer(server.pro_token(f"taker-{tag}", ORG))
    )
    assert took.status_code == 200
    return Scene(chat_id, a, b, secret, token)


def routes(s: Scene) -> list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]]:
    """Every chat route a professional can call: (method, path, json, params)."""
    return [
        ("GET", "/chat-channels", None, None),
        ("GET", "/chat-queue", None, None),
        ("GET", "/chat-queue", None, {"channel_id": s.channel_id}),
        ("GET", f"/chats/{s.chat_id}", None, None),
        ("GET", f"/chats/{s.chat_id}/messages", None, None),
        ("GET", f"/chats/{s.chat_id}/messages", None, {"after": 0}),
        ("POST", f"/chats/{s.chat_id}/take", None, None),
        ("POST", f"/chats/{s.chat_id}/transfer", {"to_channel_id": s.other_channel}, None),
        ("POST", f"/chats/{s.chat_id}/transfer", {"non_urgent": True}, None),
        ("POST", f"/chats/{s.chat_id}/end", None, None),
        ("PUT", f"/chat-channels/{s.channel_id}/presence", {"present": False}, None),
        ("PATCH", f"/chat-channels/{s.channel_id}", {"name": "Renamed"}, None),
        ("PUT", f"/chat-channels/{s.channel_id}/opening-hours", {"opening_hours": None}, None),
        ("POST", "/chat-channels", {"name": "New", "visibility": "residents"}, None),
        ("GET", f"/me/chats/{s.chat_id}/messages", None, None),
        ("POST", f"/me/chats/{s.chat_id}/end", None, None),
        ("GET", f"/organisations/{ORG}/chat-channels", None, None),
    ]


async def assert_no_content_by_any_route(
    server: ChatServer, s: Scene, pro: str, *roles: str
) -> None:
    headers = server.bearer(server.pro_token(pro, ORG, *roles))
    for method, path, body, params in routes(s):
        answer = await server.http.request(method, path, json=body, params=params, headers=headers)
        assert s.secret not in answer.text, (method, path)
        if path.endswith("/messages"):
            assert answer.status_code in (403, 404), (method, path, answer.status_code)


async def closed_without_content(server: ChatServer, s: Scene, token: str, after: int = 0) -> int:
    async with server.socket(f"/chats/{s.chat_id}/socket?after={after}") as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        closing = await until_closed(ws)
    assert not closing.mention(s.secret)
    assert closing.frames == []  # not even `ready`: refused at auth
    return closing.code


async def test_a_professional_absent_from_the_channel_gets_no_content_by_any_route(
    server: ChatServer,
) -> None:
    s = await scene(server, "r1")
    await assert_no_content_by_any_route(server, s, "absent-r1")
    # Even a channel admin who is not present there.
    await assert_no_content_by_any_route(server, s, "boss-r1", "chat_admin")


async def test_a_present_colleague_who_did_not_open_the_chat_gets_no_content(
    server: ChatServer,
) -> None:
    s = await scene(server, "r2")
    await assert_no_content_by_any_route(server, s, "colleague-r2")
    assert await closed_without_content(server, s, server.pro_token("colleague-r2", ORG)) == 4403


async def test_an_absent_professionals_chat_socket_closes_before_any_frame_with_content(
    server: ChatServer,
) -> None:
    s = await scene(server, "r3")
    assert await closed_without_content(server, s, server.pro_token("absent-r3", ORG)) == 4403
    foreign = server.pro_token("taker-r3", "another-org")
    assert await closed_without_content(server, s, foreign) == 4404


async def test_the_taker_who_leaves_the_channel_is_cut_off_before_the_next_message(
    server: ChatServer,
) -> None:
    s = await scene(server, "r4")
    pro = server.pro_token("taker-r4", ORG)
    later = f"later-{uuid.uuid4().hex}"
    async with (
        server.socket(f"/chats/{s.chat_id}/socket") as mine,
        server.socket(f"/chats/{s.chat_id}/socket") as theirs,
    ):
        await authed(mine, pro)
        assert (await next_of(mine, "message"))["text"] == s.secret  # present: sees it
        await authed(theirs, s.resident_token)
        await be_present(server, ORG, s.channel_id, "taker-r4", present=False)
        await theirs.send(send(later))
        await next_of(theirs, "ack")
        closing = await until_closed(mine)
        assert not closing.mention(later)
        assert closing.code == 4403
    s.secret = later
    await assert_no_content_by_any_route(server, s, "taker-r4")
    assert await closed_without_content(server, s, pro) == 4403


async def test_a_transfer_away_cuts_the_sender_off_from_the_chat(server: ChatServer) -> None:
    s = await scene(server, "r5")
    pro = server.pro_token("taker-r5", ORG)
    async with server.socket(f"/chats/{s.chat_id}/socket?after=1") as mine:
        await authed(mine, pro)
        moved = await server.http.post(
            f"/chats/{s.chat_id}/transfer",
            json={"to_channel_id": s.other_channel},
            headers=server.bearer(pro),
        )
        assert moved.status_code == 200
        closing = await until_closed(mine)
        assert not closing.mention(s.secret)
        assert closing.code == 4403
    await assert_no_content_by_any_route(server, s, "taker-r5")
    # Waiting in B now: the professional present in B sees its header, not its content, until
    # they open it.
    await assert_no_content_by_any_route(server, s, "absent-r5")


async def test_every_frame_type_of_both_sockets_carries_no_content_to_a_non_present_professional(
    server: ChatServer,
) -> None:
    s = await scene(server, "r6")
    absent = server.pro_token("absent-r6", ORG)
    async with server.socket("/chat-queue/socket") as queue:
        frames = [await authed(queue, absent)]  # ready
        await queue.send(json.dumps({"type": "auth", "token": server.pro_token("absent-r6", ORG)}))
        frames.append(await frame(queue))  # reauthenticated
        # A new chat in A (where absent-r6 is not present): no new_chat frame for them.
        await server.http.post(
            "/chats", json={"channel_id": s.channel_id, "language": "fi"},
            headers=server.bearer(server.resident_token("res-r6-b")),
        )  # fmt: skip
        # A new chat in B (present, sound on): a new_chat frame, header fields only.
        started = await server.http.post(
            "/chats", json={"channel_id": s.other_channel, "language": "sv"},
            headers=server.bearer(server.resident_token("res-r6-c")),
        )  # fmt: skip
        alert = await next_of(queue, "new_chat")
        frames.append(alert)
        assert alert["chat"]["chat_id"] == started.json()["chat"]["chat_id"]
        assert set(alert["chat"]) == HEADER_FIELDS
        await queue.send(json.dumps({"type": "ping"}))
        frames.append(await frame(queue))  # pong
        assert [f["type"] for f in frames] == ["ready", "reauthenticated", "new_chat", "pong"]
        await queue.send(
            json.dumps({"type": "send", "client_message_id": str(uuid.uuid4()), "text": "x"})
        )
        closing = await until_closed(queue)
        frames += closing.frames
        assert closing.code == 4400
    assert all(s.secret not in json.dumps(f) for f in frames)
    # The chat socket's frames (ready, message, ack, error, pong, reauthenticated, ended) are
    # never sent to them at all: the socket closes at auth.
    assert await closed_without_content(server, s, absent) == 4403
