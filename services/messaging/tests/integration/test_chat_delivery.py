"""Live delivery on a real server and database: a message written through the process reaches
the chat's two sockets there once each with one database read (the professional's clearing
read, shared), and a professional whose presence ends between the write and the delivery is
closed without it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .chat_harness import (
    ChatServer,
    authed,
    be_present,
    chat_server,
    next_of,
    send,
    taken_chat,
    until_closed,
)

ORG = "org-delivery"


@pytest.fixture(scope="module")
async def server(postgres, kafka, tmp_path_factory) -> AsyncIterator[ChatServer]:  # type: ignore[no-untyped-def]
    # No poll within a test: every read counted here is the feed's own.
    async with chat_server(
        postgres, kafka, tmp_path_factory.mktemp("chat-delivery"), poll_seconds=600
    ) as running:
        yield running


async def test_two_sockets_in_one_process_get_a_message_once_each_with_one_read(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-del-1", "pro-del-1")
    deliveries = server.container.chat_deliveries
    async with (
        server.socket(f"/chats/{chat_id}/socket") as resident,
        server.socket(f"/chats/{chat_id}/socket") as professional,
    ):
        await authed(resident, server.resident_token("res-del-1"))
        await authed(professional, server.pro_token("pro-del-1", ORG))
        await resident.send(send("warm-up"))  # both subscribed and caught up after this one
        await next_of(professional, "message")
        await next_of(resident, "message")
        for n in range(1, 4):
            before = deliveries.reads
            await resident.send(send(f"live {n}"))
            mine = await next_of(resident, "message")
            theirs = await next_of(professional, "message")
            assert (mine["sequence"], theirs["sequence"]) == (n + 1, n + 1)
            assert deliveries.reads - before == 1
        await resident.send(send("last"))
        assert (await next_of(professional, "message"))["text"] == "last"  # nothing doubled
    # The professional's socket received content: audited, once for the connection.
    items = await server.audit_items(ORG, "pro-del-1")
    assert [r["action"] for r in items] == ["read_chat_messages"]


async def test_a_professional_whose_presence_ends_between_write_and_delivery_gets_nothing(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-del-2", "pro-del-2")
    channel_id = (await server.http.get(
        f"/chats/{chat_id}", headers=server.bearer(server.pro_token("pro-del-2", ORG))
    )).json()["channel_id"]  # fmt: skip
    deliveries = server.container.chat_deliveries
    snapshots = deliveries.snapshots
    real_read = snapshots.read
    left = {"done": False}

    async def leaves_then_reads(*args, **kwargs):  # type: ignore[no-untyped-def]
        # The message is committed (the feed asks for its clearing read): the professional
        # leaves the channel now, before the read that would deliver it.
        if not left["done"]:
            left["done"] = True
            await be_present(server, ORG, channel_id, "pro-del-2", present=False)
        return await real_read(*args, **kwargs)

    async with (
        server.socket(f"/chats/{chat_id}/socket") as resident,
        server.socket(f"/chats/{chat_id}/socket") as professional,
    ):
        await authed(resident, server.resident_token("res-del-2"))
        await authed(professional, server.pro_token("pro-del-2", ORG))
        await resident.send(send("seen while present"))
        assert (await next_of(resident, "ack"))["sequence"] == 1
        assert (await next_of(professional, "message"))["text"] == "seen while present"
        snapshots.read = leaves_then_reads
        try:
            await resident.send(send("written while present, delivered after leaving"))
            assert (await next_of(resident, "ack"))["sequence"] == 2
            closing = await until_closed(professional)
        finally:
            del snapshots.read
    assert left["done"]
    assert closing.code == 4403
    assert not closing.mention("delivered after leaving")
