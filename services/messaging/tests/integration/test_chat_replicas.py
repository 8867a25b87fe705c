"""Two processes of messaging on one database: a message written through one replica reaches
a socket held by the other at once (PostgreSQL NOTIFY), not at the sockets' next poll."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .chat_harness import (
    ChatServer,
    authed,
    chat_server,
    next_of,
    replica,
    send,
    taken_chat,
)

ORG = "org-replicas"


@pytest.fixture(scope="module")
async def servers(
    postgres, kafka, tmp_path_factory
) -> AsyncIterator[tuple[ChatServer, ChatServer]]:  # type: ignore[no-untyped-def]
    # Polling every 10 minutes: within the frames' 20-s wait only a nudge can deliver.
    async with (
        chat_server(
            postgres, kafka, tmp_path_factory.mktemp("chat-replicas"), poll_seconds=600
        ) as first,
        replica(first) as second,
    ):
        yield first, second


async def test_a_message_sent_on_one_replica_reaches_a_socket_on_the_other(
    servers: tuple[ChatServer, ChatServer],
) -> None:
    first, second = servers
    chat_id = await taken_chat(first, ORG, "res-rep-1", "pro-rep-1")
    async with (
        first.socket(f"/chats/{chat_id}/socket") as resident,
        second.socket(f"/chats/{chat_id}/socket") as professional,
    ):
        await authed(resident, first.resident_token("res-rep-1"))
        await authed(professional, second.pro_token("pro-rep-1", ORG))
        for n in range(3):
            await resident.send(send(f"across {n}"))
            got = await next_of(professional, "message")
            assert (got["sequence"], got["text"]) == (n + 1, f"across {n}")


async def test_a_new_chat_on_one_replica_sounds_on_the_other(
    servers: tuple[ChatServer, ChatServer],
) -> None:
    first, second = servers
    from .chat_harness import be_present, open_channel

    channel_id = await open_channel(first, ORG)
    await be_present(first, ORG, channel_id, "pro-rep-2", notify_sound=True)
    async with second.socket("/chat-queue/socket") as queue:
        await authed(queue, second.pro_token("pro-rep-2", ORG))
        started = await first.http.post(
            "/chats",
            json={"channel_id": channel_id, "language": "fi"},
            headers=first.bearer(first.resident_token("res-rep-2")),
        )
        alert = await next_of(queue, "new_chat")
        assert alert["chat"]["chat_id"] == started.json()["chat"]["chat_id"]
