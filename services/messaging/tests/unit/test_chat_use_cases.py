from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from careflow.contracts import chats as contract
from careflow.contracts.notifications import ProfessionalChatNotificationRequested
from careflow.messaging.application.channels import (
    ChannelChange,
    Staff,
    apply_due_schedules,
    change_channel,
    create_channel,
    set_presence,
)
from careflow.messaging.application.chat_flow import (
    expire_idle_chats,
    post_message,
    start_chat,
    take_chat,
)
from careflow.messaging.application.chat_transcript import transcript_bodies
from careflow.messaging.domain.channels import ChannelState, Visibility
from careflow.messaging.domain.chat_errors import ChatAlreadyTaken, ChatNotAllowed, NoticeNotSeen
from careflow.messaging.domain.chats import ChatMessage, SenderKind
from careflow.messaging.domain.opening_hours import Interval, OpeningHours

from .chat_builders import RES, T0
from .chat_fakes import FakeChatUow, Store

ADMIN = Staff("admin-1", "org-1", frozenset({"chat_admin"}))
NURSE = Staff("nurse-1", "org-1", frozenset({"nurse"}))
HOURS = OpeningHours("Europe/Helsinki", {0: (Interval.parse("08:00", "16:00"),)})


@pytest.fixture
def store() -> Store:
    return Store()


async def _open_channel(store: Store, **change: object) -> object:
    channel = await create_channel(
        FakeChatUow(store), ADMIN, name="Nurse chat", visibility=Visibility.RESIDENTS,
        opening_hours=None, now=T0,
    )  # fmt: skip
    await change_channel(
        FakeChatUow(store), ADMIN, channel.channel_id, ChannelChange(is_open=True, **change), now=T0
    )  # type: ignore[arg-type]
    return channel


async def test_a_refused_change_writes_no_event(store: Store) -> None:
    channel = await _open_channel(store)
    before = len(store.outbox)
    with pytest.raises(ChatNotAllowed):
        await change_channel(
            FakeChatUow(store), NURSE, channel.channel_id, ChannelChange(is_open=False), now=T0
        )
    assert len(store.outbox) == before


async def test_the_timer_pass_applies_due_hours_and_publishes_the_change(store: Store) -> None:
    monday_0759 = datetime.fromisoformat("2026-12-07T07:59:00+02:00")
    channel = await create_channel(
        FakeChatUow(store), ADMIN, name="n", visibility=Visibility.RESIDENTS,
        opening_hours=HOURS, now=monday_0759,
    )  # fmt: skip
    assert await apply_due_schedules(FakeChatUow(store), now=monday_0759) == 0
    assert (
        await apply_due_schedules(FakeChatUow(store), now=monday_0759 + timedelta(minutes=1)) == 1
    )
    assert store.channels[channel.channel_id].state is ChannelState.OPEN
    last = store.outbox[-1]
    assert isinstance(last, contract.ChannelStateChanged)
    assert (last.state, last.cause) == ("open", "schedule")


async def test_a_new_chat_emails_only_present_professionals_who_chose_email_and_nudges_sound(
    store: Store,
) -> None:
    channel = await _open_channel(store)
    for who, present, email in (("a", True, True), ("b", True, False), ("c", False, True)):
        await set_presence(
            FakeChatUow(store), Staff(who, "org-1", frozenset()), channel.channel_id,
            present=present, notify_email=email, notify_sound=True,
            email=f"{who}@example.org" if email else None, language="fi", now=T0,
        )  # fmt: skip
    chat, _ = await start_chat(
        FakeChatUow(store), RES, channel.channel_id, language="fi", case_id=None,
        notice_seen=False, now=T0,
    )  # fmt: skip
    requests = [e for e in store.outbox if isinstance(e, ProfessionalChatNotificationRequested)]
    assert [r.professional_id for r in requests] == ["a"]
    assert f"n:{channel.channel_id}:{chat.chat_id}" in store.signals


async def test_a_congested_channel_needs_the_notice_seen(store: Store) -> None:
    channel = await _open_channel(store, congestion_notice=True)
    with pytest.raises(NoticeNotSeen):
        await start_chat(
            FakeChatUow(store), RES, channel.channel_id, language="fi", case_id=None,
            notice_seen=False, now=T0,
        )  # fmt: skip
    assert store.chats == {}


async def test_the_second_take_is_refused_and_a_resend_is_not_stored_twice(store: Store) -> None:
    channel = await _open_channel(store)
    for who in ("nurse-1", "nurse-2"):
        await set_presence(
            FakeChatUow(store), Staff(who, "org-1", frozenset()), channel.channel_id,
            present=True, notify_email=False, notify_sound=False, email=None, language="fi", now=T0,
        )  # fmt: skip
    chat, _ = await start_chat(
        FakeChatUow(store), RES, channel.channel_id, language="fi", case_id=None,
        notice_seen=False, now=T0,
    )  # fmt: skip
    await take_chat(FakeChatUow(store), NURSE, chat.chat_id, now=T0)
    with pytest.raises(ChatAlreadyTaken):
        await take_chat(
            FakeChatUow(store), Staff("nurse-2", "org-1", frozenset()), chat.chat_id, now=T0
        )
    client = uuid4()
    first = await post_message(
        FakeChatUow(store), chat.chat_id, kind=SenderKind.RESIDENT, sender_id=str(RES),
        client_message_id=client, text="hello", now=T0,
    )  # fmt: skip
    again = await post_message(
        FakeChatUow(store), chat.chat_id, kind=SenderKind.RESIDENT, sender_id=str(RES),
        client_message_id=client, text="hello", now=T0,
    )  # fmt: skip
    assert first == again
    assert len(store.messages[chat.chat_id]) == 1
    idle = timedelta(minutes=15)
    assert await expire_idle_chats(FakeChatUow(store), idle_after=idle, now=T0 + idle) == 1
    assert isinstance(store.outbox[-1], contract.ChatEnded)


def test_a_long_transcript_is_split_into_case_messages_of_at_most_5000_characters() -> None:
    chat = uuid4()
    messages = [
        ChatMessage(chat, n, SenderKind.RESIDENT, "r", "x" * 3000, T0) for n in range(1, 4)
    ] + [ChatMessage(chat, 4, SenderKind.PROFESSIONAL, "p", "y" * 12000, T0)]
    bodies = transcript_bodies(messages)
    assert all(len(b) <= 5000 for b in bodies)
    joined = "".join(bodies)
    assert joined.count("x") == 9000
    assert joined.count("y") == 12000
