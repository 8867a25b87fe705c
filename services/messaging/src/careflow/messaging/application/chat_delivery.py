"""Live delivery of chat messages to this process's sockets: one feed per chat, shared reads.

A chat's sockets in this process share one `ChatFeed`. What reaches a socket:

- A message posted through this process is handed to the feed right after its commit
  (`posted`), with its sequence number: the chat's resident sockets send it at once, no
  read (a resident's access is the chat's own resident id, checked at connect and fixed
  for the chat's life).
- A professional's socket sends content only after a read that began after the content was
  committed, and only when that read shows them the present taker (`domain.chat_access`):
  so a professional whose presence ends between the write and the delivery gets nothing,
  and is closed (4403) instead.
- A read is one statement (`ChatSnapshots.read`: the chat, whether its taker is present in
  its channel, the messages after a sequence), made when a socket has a gap (a message
  written on another replica: the nudge carries its sequence number), on resume (a new
  socket), when the chat's state may have changed (a state nudge, a presence nudge, the
  poll), or to clear a professional's delivery. At most one read per chat is in flight;
  whatever arrives meanwhile is served by one more read, and reads of all chats share a
  bounded number of slots (`read_slots`), so they wait for a pooled connection instead of
  opening overflow connections under a burst.

The feed decides synchronously (no await between deciding and queueing), so each socket
gets each sequence once and in order; a socket's own task sends what is queued for it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from uuid import UUID

from careflow.messaging.application.channels import Staff
from careflow.messaging.application.chat_ports import ChatSnapshots, ReadAudits
from careflow.messaging.domain.audit import AuditRecord
from careflow.messaging.domain.chat_access import (
    ChatHead,
    ChatSnapshot,
    professional_sees_content,
    resident_sees_content,
)
from careflow.messaging.domain.chats import ChatMessage, ChatStatus

log = logging.getLogger(__name__)

PAGE = 500
#: How long a failed read waits before the feed tries again (the database is away).
RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Deliver:
    """Message frames for the socket, in order, each sequence once."""

    messages: tuple[ChatMessage, ...]


@dataclass(frozen=True)
class Ended:
    """The chat ended: the `ended` frame, then close 1000."""

    reason: str | None


@dataclass(frozen=True)
class Refused:
    """Content is no longer (or never was) this socket's: close with `code`, nothing more."""

    code: int
    reason: str


Item = Deliver | Ended | Refused

NOT_FOUND = Refused(4404, "no such chat")
FORBIDDEN = Refused(4403, "chat content is not yours to see")


@dataclass(eq=False)
class Subscriber:
    """One socket of a chat: who it is for, the last sequence queued to it, its queue."""

    chat_id: UUID
    last: int
    resident_id: UUID | None = None
    staff: Staff | None = None
    items: asyncio.Queue[Item] = field(default_factory=asyncio.Queue)
    done: bool = False

    async def next(self) -> Item:
        return await self.items.get()


class ChatFeed:
    """This process's sockets of one chat and the messages they still need."""

    def __init__(self, chat_id: UUID, owner: ChatDeliveries) -> None:
        self.chat_id = chat_id
        self._owner = owner
        self.subscribers: set[Subscriber] = set()
        #: Messages this process holds for the feed's sockets, by sequence.
        self._held: dict[int, ChatMessage] = {}
        #: The highest sequence known to be committed.
        self.latest = 0
        #: The chat's state (status, channel, taker, presence) may have changed since `head`.
        self.stale = True
        #: The chat's state as the last read saw it (the poll compares against it).
        self.head: ChatHead | None = None
        self._task: asyncio.Task[None] | None = None

    # -- what happens -------------------------------------------------------------------

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)
        self.stale = True  # a resume: the new socket's first read (shared with the others)
        self._schedule()

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        self._trim()

    def posted(self, message: ChatMessage) -> None:
        """A message this process committed: residents now, professionals after a read."""
        self._held[message.sequence] = message
        self.latest = max(self.latest, message.sequence)
        for sub in tuple(self.subscribers):
            if sub.resident_id is not None:
                self._deliver(sub, up_to=self.latest)
        self._trim()
        self._schedule()

    def committed(self, sequence: int | None) -> None:
        """A nudge: a message up to `sequence` was committed (on any replica), or (None) the
        chat's state changed."""
        if sequence is None:
            self.stale = True
        else:
            self.latest = max(self.latest, sequence)
        self._schedule()

    def changed(self) -> None:
        self.stale = True
        self._schedule()

    # -- reading --------------------------------------------------------------------------

    def _active(self) -> list[Subscriber]:
        return [s for s in self.subscribers if not s.done]

    def _contiguous_from(self, sequence: int) -> int:
        while sequence + 1 in self._held:
            sequence += 1
        return sequence

    def needs_read(self) -> bool:
        for sub in self._active():
            if sub.staff is not None and sub.last < self.latest:
                return True  # a professional's content waits for a read that clears it
            if sub.resident_id is not None and self._contiguous_from(sub.last) < self.latest:
                return True  # a gap: written on another replica, or before the socket came
        return self.stale and bool(self._active())

    def _schedule(self) -> None:
        if self._task is None and self.needs_read():
            self._task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while self.needs_read():
                try:
                    async with self._owner.read_slots:
                        # Decided after the wait: what arrived meanwhile is served by this read.
                        active = self._active()
                        if not active or not self.needs_read():
                            break
                        self.stale = False
                        after = self._contiguous_from(min(s.last for s in active))
                        snapshot = await self._owner.snapshots.read(self.chat_id, after, PAGE)
                        self._owner.reads += 1
                except Exception:
                    self.stale = True
                    log.warning("a chat read failed; retrying", exc_info=True)
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                self._apply(snapshot)
        finally:
            self._task = None
        self._schedule()  # anything that arrived after the last check

    def _apply(self, snapshot: ChatSnapshot | None) -> None:
        if snapshot is None:
            for sub in self._active():
                self._end(sub, NOT_FOUND)
            return
        chat = snapshot.chat
        self.head = snapshot.head
        self.latest = max(self.latest, chat.last_sequence)
        for message in snapshot.messages:
            self._held.setdefault(message.sequence, message)
        present_in = {chat.channel_id} if snapshot.taker_present else set()
        for sub in self._active():
            if sub.resident_id is not None:
                if not resident_sees_content(chat, resident_id=sub.resident_id):
                    self._end(sub, NOT_FOUND)
                    continue
            elif sub.staff is not None and not professional_sees_content(
                chat, professional_id=sub.staff.professional_id,
                organisation_id=sub.staff.organisation_id, present_in=present_in,
            ):  # fmt: skip
                self._end(sub, FORBIDDEN)  # before any further content
                continue
            # Only what this read saw committed: a later message waits for the next read.
            self._deliver(sub, up_to=chat.last_sequence)
            if chat.status is ChatStatus.ENDED and sub.last >= chat.last_sequence:
                self._end(sub, Ended(chat.end_reason.value if chat.end_reason else None))
        self._trim()

    # -- queueing -------------------------------------------------------------------------

    def _deliver(self, sub: Subscriber, *, up_to: int) -> None:
        batch = []
        while sub.last < up_to and (message := self._held.get(sub.last + 1)) is not None:
            batch.append(message)
            sub.last = message.sequence
        if batch:
            sub.items.put_nowait(Deliver(tuple(batch)))

    def _end(self, sub: Subscriber, item: Item) -> None:
        sub.done = True
        sub.items.put_nowait(item)

    def _trim(self) -> None:
        active = self._active()
        if not active:
            self._held.clear()
            return
        low = min(s.last for s in active)
        for sequence in [s for s in self._held if s <= low]:
            del self._held[sequence]


class ChatDeliveries:
    """This process's chat feeds: sockets subscribe, commits and nudges come in, the poll runs."""

    def __init__(self, snapshots: ChatSnapshots, *, read_slots: int) -> None:
        self.snapshots = snapshots
        self.read_slots = asyncio.Semaphore(read_slots)
        self._feeds: dict[UUID, ChatFeed] = {}
        self._by_professional: dict[str, set[ChatFeed]] = {}
        #: Reads made (a figure for tests and the benchmark's notes).
        self.reads = 0

    def subscribe(
        self,
        chat_id: UUID,
        *,
        after: int,
        resident_id: UUID | None = None,
        staff: Staff | None = None,
    ) -> Subscriber:
        """A socket whose access was checked at connect; it gets messages after `after`."""
        sub = Subscriber(chat_id, after, resident_id=resident_id, staff=staff)
        feed = self._feeds.get(chat_id)
        if feed is None:
            feed = self._feeds[chat_id] = ChatFeed(chat_id, self)
        if staff is not None:
            self._by_professional.setdefault(staff.professional_id, set()).add(feed)
        feed.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        feed = self._feeds.get(sub.chat_id)
        if feed is None:
            return
        feed.remove(sub)
        if sub.staff is not None and not any(
            s.staff is not None and s.staff.professional_id == sub.staff.professional_id
            for s in feed.subscribers
        ):
            feeds = self._by_professional.get(sub.staff.professional_id, set())
            feeds.discard(feed)
            if not feeds:
                self._by_professional.pop(sub.staff.professional_id, None)
        if not feed.subscribers:
            del self._feeds[sub.chat_id]

    def posted(self, message: ChatMessage) -> None:
        feed = self._feeds.get(message.chat_id)
        if feed is not None:
            feed.posted(message)

    def chat_committed(self, chat_id: UUID, sequence: int | None) -> None:
        feed = self._feeds.get(chat_id)
        if feed is not None:
            feed.committed(sequence)

    def presence_changed(self, professional_id: str) -> None:
        for feed in tuple(self._by_professional.get(professional_id, ())):
            feed.changed()

    def all_changed(self) -> None:
        """After the listener (re)connects: nudges may have been missed meanwhile."""
        for feed in tuple(self._feeds.values()):
            feed.changed()

    async def poll(self, chunk: int = 1000) -> None:
        """Should a nudge be lost: the heads of every chat with a socket here, a few
        statements for the whole process; a read only for a chat whose head moved."""
        chat_ids = list(self._feeds)
        for start in range(0, len(chat_ids), chunk):
            part = chat_ids[start : start + chunk]
            async with self.read_slots:
                heads = await self.snapshots.heads(part)
            for chat_id in part:
                feed = self._feeds.get(chat_id)
                if feed is None:
                    continue
                head = heads.get(chat_id)
                if (
                    head is None
                    or feed.head is None
                    or head.state != feed.head.state
                    or head.last_sequence > feed.latest
                ):
                    feed.changed()


class GroupedAudits:
    """A socket's first delivery of content to a professional is audited before it goes out;
    the records of sockets waiting at once go in one write (a group commit), so a burst of
    first deliveries (every chat's first message after a restart) is a few statements, not
    one unit of work each. A failed write fails every waiter: their content stays unsent."""

    def __init__(self, audits: ReadAudits, slots: asyncio.Semaphore) -> None:
        self._audits = audits
        self._slots = slots
        self._waiting: list[tuple[AuditRecord, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def record(self, record: AuditRecord) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((record, done))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._write())
        await done

    async def _write(self) -> None:
        try:
            while self._waiting:
                async with self._slots:
                    batch, self._waiting = self._waiting, []
                    try:
                        await self._audits.record([record for record, _ in batch])
                    except Exception as failed:
                        for _, done in batch:
                            if not done.done():
                                done.set_exception(failed)
                        continue
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._task = None
