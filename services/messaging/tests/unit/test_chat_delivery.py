"""Live delivery to one process's sockets (application/chat_delivery.py) on an in-memory store:
a message this process wrote reaches a chat's sockets once each with at most one read, a
professional gets content only after a read that shows them the present taker, reads are
shared, coalesced and bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from uuid import UUID, uuid4

import pytest

from careflow.messaging.application.channels import Staff
from careflow.messaging.application.chat_delivery import (
    ChatDeliveries,
    Deliver,
    Ended,
    GroupedAudits,
    Item,
    Refused,
    Subscriber,
)
from careflow.messaging.domain.audit import AuditRecord
from careflow.messaging.domain.chat_access import ChatHead, ChatSnapshot
from careflow.messaging.domain.chats import ChatMessage, SenderKind

from .chat_builders import ORG, RES, T0, channel, present, waiting_chat

PRO = Staff("pro-1", ORG, frozenset())


class Store:
    """One chat as the database holds it; counts reads, can hold them or act inside them."""

    def __init__(self) -> None:
        ch = channel()
        self.chat = waiting_chat(ch)
        self.chat.take(PRO.professional_id, present(ch, PRO.professional_id), T0)
        self.taker_present = True
        self.messages: list[ChatMessage] = []
        self.reads = 0
        self.running = 0
        self.most_at_once = 0
        self.gate: asyncio.Event | None = None
        self.during_read: Callable[[], Awaitable[None]] | None = None

    def write(self, text: str) -> ChatMessage:
        message = self.chat.post(SenderKind.RESIDENT, str(RES), text, T0)
        self.messages.append(message)
        return message

    async def read(self, chat_id: UUID, after: int, limit: int) -> ChatSnapshot | None:
        self.reads += 1
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.during_read is not None:
                hook, self.during_read = self.during_read, None
                await hook()
            if chat_id != self.chat.chat_id:
                return None
            found = [m for m in self.messages if m.sequence > after][:limit]
            return ChatSnapshot(replace(self.chat), self.taker_present, found)
        finally:
            self.running -= 1

    async def heads(self, chat_ids: Sequence[UUID]) -> dict[UUID, ChatHead]:
        snapshot = ChatSnapshot(self.chat, self.taker_present, [])
        return {self.chat.chat_id: snapshot.head} if self.chat.chat_id in chat_ids else {}


async def settled(deliveries: ChatDeliveries) -> None:
    """Until no feed has a read running or due."""
    for _ in range(200):
        await asyncio.sleep(0)
        if not any(f._task is not None for f in deliveries._feeds.values()):
            return
    raise AssertionError("reads did not settle")


def drained(sub: Subscriber) -> list[Item]:
    items = []
    while not sub.items.empty():
        items.append(sub.items.get_nowait())
    return items


def sequences(items: list[Item]) -> list[int]:
    return [m.sequence for i in items if isinstance(i, Deliver) for m in i.messages]


async def two_sockets(
    store: Store, *, slots: int = 4
) -> tuple[ChatDeliveries, Subscriber, Subscriber]:
    deliveries = ChatDeliveries(store, read_slots=slots)
    resident = deliveries.subscribe(store.chat.chat_id, after=0, resident_id=RES)
    professional = deliveries.subscribe(store.chat.chat_id, after=0, staff=PRO)
    await settled(deliveries)
    return deliveries, resident, professional


async def test_two_sockets_of_a_chat_get_a_message_written_here_once_each_with_one_read():
    store = Store()
    deliveries, resident, professional = await two_sockets(store)
    assert store.reads == 1  # both sockets' resume: one shared read
    before = store.reads
    message = store.write("hello")
    deliveries.posted(message)
    assert sequences(drained(resident)) == [1]  # at once: no read for the resident
    deliveries.chat_committed(store.chat.chat_id, 1)  # this process's own NOTIFY comes back
    await settled(deliveries)
    assert sequences(drained(professional)) == [1]
    assert store.reads - before == 1  # the professional's clearing read, shared, and only it
    deliveries.posted(message)  # a resend acknowledged with the stored message: no copy
    await settled(deliveries)
    assert drained(resident) == drained(professional) == []


async def test_a_professional_whose_presence_ends_between_write_and_delivery_gets_nothing():
    store = Store()
    deliveries, resident, professional = await two_sockets(store)
    message = store.write("after they left")

    async def leaves() -> None:
        store.taker_present = False

    store.during_read = leaves
    deliveries.posted(message)
    await settled(deliveries)
    assert drained(professional) == [Refused(4403, "chat content is not yours to see")]
    assert sequences(drained(resident)) == [1]
    deliveries.posted(store.write("and later"))
    await settled(deliveries)
    assert drained(professional) == []


async def test_a_transfer_away_refuses_the_taker_before_any_further_content():
    store = Store()
    deliveries, _resident, professional = await two_sockets(store)
    store.chat.channel_id = uuid4()  # moved to another channel, where they are not present
    store.chat.taken_by = None
    deliveries.posted(store.write("in the new channel"))
    await settled(deliveries)
    assert drained(professional) == [Refused(4403, "chat content is not yours to see")]


async def test_a_message_written_on_another_replica_is_read_once_for_both_sockets():
    store = Store()
    deliveries, resident, professional = await two_sockets(store)
    before = store.reads
    store.write("from replica B")
    store.write("and again")
    deliveries.chat_committed(store.chat.chat_id, 1)
    deliveries.chat_committed(store.chat.chat_id, 2)
    await settled(deliveries)
    assert store.reads - before == 1
    assert sequences(drained(resident)) == sequences(drained(professional)) == [1, 2]


async def test_nudges_during_a_read_make_one_more_read_not_one_each():
    store = Store()
    deliveries, resident, professional = await two_sockets(store)
    before = store.reads
    store.gate = asyncio.Event()
    for n in range(10):
        store.write(f"m{n}")
        deliveries.chat_committed(store.chat.chat_id, n + 1)
        await asyncio.sleep(0)
    store.gate.set()
    await settled(deliveries)
    assert store.reads - before <= 2
    assert sequences(drained(resident)) == sequences(drained(professional)) == list(range(1, 11))


async def test_a_resumed_socket_gets_every_later_message_once_in_order_then_live_ones():
    store = Store()
    for n in range(5):
        store.write(f"m{n}")
    deliveries = ChatDeliveries(store, read_slots=1)
    sub = deliveries.subscribe(store.chat.chat_id, after=2, resident_id=RES)
    await settled(deliveries)
    deliveries.posted(store.write("live"))
    await settled(deliveries)
    assert sequences(drained(sub)) == [3, 4, 5, 6]


async def test_an_ended_chat_sends_what_is_left_then_ended():
    store = Store()
    deliveries, resident, professional = await two_sockets(store)
    store.write("last words")
    store.chat.end_by_resident(RES, T0)
    deliveries.chat_committed(store.chat.chat_id, None)
    await settled(deliveries)
    for sub in (resident, professional):
        items = drained(sub)
        assert sequences(items) == [1]
        assert items[-1] == Ended("resident")


async def test_reads_of_many_chats_wait_for_a_slot_rather_than_run_all_at_once():
    store, gate = Store(), asyncio.Event()
    store.gate = gate
    deliveries = ChatDeliveries(store, read_slots=2)
    subs = [deliveries.subscribe(uuid4(), after=0, resident_id=RES) for _ in range(6)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert store.running == 2
    gate.set()
    await settled(deliveries)
    assert (store.most_at_once, store.reads) == (2, 6)
    assert all(drained(s) == [Refused(4404, "no such chat")] for s in subs)


async def test_the_poll_reads_only_a_chat_whose_head_moved():
    store = Store()
    deliveries, resident, _professional = await two_sockets(store)
    before = store.reads
    await deliveries.poll()
    await settled(deliveries)
    assert store.reads == before  # nothing moved: heads only
    store.write("its nudge was lost")
    await deliveries.poll()
    await settled(deliveries)
    assert store.reads == before + 1
    assert sequences(drained(resident)) == [1]


class Audits:
    def __init__(self, *, fail: bool = False) -> None:
        self.writes: list[list[AuditRecord]] = []
        self.fail = fail

    async def record(self, records: Sequence[AuditRecord]) -> None:
        await asyncio.sleep(0)
        if self.fail:
            raise RuntimeError("database away")
        self.writes.append(list(records))


def audit_record(n: int) -> AuditRecord:
    return AuditRecord(
        organisation_id=ORG, professional_id=f"pro-{n}", unit_id=None, resident_id=RES,
        case_id=None, action="read_chat_messages", at=T0, purpose="care",
    )  # fmt: skip


async def test_first_deliveries_waiting_at_once_are_audited_in_one_write():
    audits = Audits()
    grouped = GroupedAudits(audits, asyncio.Semaphore(1))
    await asyncio.gather(*(grouped.record(audit_record(n)) for n in range(20)))
    assert [len(w) for w in audits.writes] == [20]


async def test_a_failed_audit_write_fails_its_waiters_so_their_content_stays_unsent():
    grouped = GroupedAudits(Audits(fail=True), asyncio.Semaphore(1))
    with pytest.raises(RuntimeError):
        await grouped.record(audit_record(1))
