"""A caseless chat moved to non-urgent: a case is asked of intake, the transcript goes on it."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from careflow.contracts.chats import ChatCaseRequested, ChatEnded, ChatTransferred
from careflow.contracts.messages import MessageSent
from careflow.messaging.application.channels import Staff, set_presence
from careflow.messaging.application.chat_case import attach_transcript
from careflow.messaging.application.chat_flow import (
    end_chat_as_professional,
    post_message,
    start_chat,
    take_chat,
    transfer_chat,
)
from careflow.messaging.domain.chat_case import case_id_for_chat, needs_case, transcript_messages
from careflow.messaging.domain.chats import ChatMessage, EndReason, SenderKind
from careflow.messaging.domain.messages import CaseFacts, Side

from .chat_builders import ORG, RES, RES2, T0, channel
from .chat_fakes import FakeChatUow, Store

NURSE = Staff("nurse-1", ORG, frozenset({"nurse"}), unit_id="unit-7")


@pytest.fixture
def store() -> Store:
    return Store()


async def _talked_chat(store: Store, *, case_id: object = None) -> object:
    ch = channel()
    store.channels[ch.channel_id] = ch
    await set_presence(
        FakeChatUow(store), NURSE, ch.channel_id, present=True, notify_email=False,
        notify_sound=False, email=None, language="fi", now=T0,
    )  # fmt: skip
    chat, _ = await start_chat(
        FakeChatUow(store), RES, ch.channel_id, language="sv", case_id=case_id,  # type: ignore[arg-type]
        notice_seen=True, now=T0,
    )  # fmt: skip
    await take_chat(FakeChatUow(store), NURSE, chat.chat_id, now=T0)
    for i, (kind, who, text) in enumerate(
        (
            (SenderKind.RESIDENT, str(RES), "My knee hurts"),
            (SenderKind.PROFESSIONAL, NURSE.professional_id, "Since when?"),
            (SenderKind.RESIDENT, str(RES), "Two weeks"),
        )
    ):
        await post_message(
            FakeChatUow(store), chat.chat_id, kind=kind, sender_id=who, client_message_id=uuid4(),
            text=text, now=T0 + timedelta(seconds=i),
        )  # fmt: skip
    return chat


def _case_known(store: Store, case_id: object, *, resident: object = RES, org: str = ORG) -> None:
    store.cases[case_id] = CaseFacts(  # type: ignore[index]
        case_id=case_id, resident_id=resident, organisation_id=org, language="sv",  # type: ignore[arg-type]
        identification="identified", updated_at=T0,
    )  # fmt: skip


def test_the_case_id_is_derived_from_the_chat_so_a_repeat_names_the_same_case() -> None:
    chat_id = uuid4()
    assert case_id_for_chat(chat_id) == case_id_for_chat(chat_id)
    assert case_id_for_chat(chat_id) != case_id_for_chat(uuid4())
    assert case_id_for_chat(chat_id) != chat_id


def test_each_chat_message_becomes_a_case_message_of_its_own_side_in_order() -> None:
    chat_id, case_id = uuid4(), uuid4()
    lines = [
        ChatMessage(chat_id, 2, SenderKind.PROFESSIONAL, "nurse-1", "Since when?", T0),
        ChatMessage(chat_id, 1, SenderKind.RESIDENT, str(RES), "My knee hurts", T0),
    ]
    messages = transcript_messages(case_id, lines)
    assert [(m.author_side, m.author_id, m.body) for m in messages] == [
        (Side.RESIDENT, str(RES), "My knee hurts"),
        (Side.PROFESSIONAL, "nurse-1", "Since when?"),
    ]
    assert {m.case_id for m in messages} == {case_id}
    # Derived ids: writing the same transcript again would collide, not duplicate.
    assert [m.id for m in transcript_messages(case_id, lines)] == [m.id for m in messages]


async def test_only_a_caseless_chat_moved_to_non_urgent_needs_a_case(store: Store) -> None:
    chat = await _talked_chat(store)
    stored = store.chats[chat.chat_id]
    assert not needs_case(stored)  # still live
    stored.end_reason = EndReason.PROFESSIONAL
    assert not needs_case(stored)  # merely ended: settled, no case
    stored.end_reason = EndReason.NON_URGENT
    assert needs_case(stored)
    stored.case_id = uuid4()
    assert not needs_case(stored)  # names a case: the transcript goes there


async def test_moving_a_caseless_chat_to_non_urgent_asks_intake_for_its_case(store: Store) -> None:
    chat = await _talked_chat(store)
    await transfer_chat(FakeChatUow(store), NURSE, chat.chat_id, to_channel_id=None, now=T0)
    requested = [e for e in store.outbox if isinstance(e, ChatCaseRequested)]
    assert len(requested) == 1
    event = requested[0]
    assert event.case_id == case_id_for_chat(chat.chat_id)
    assert (event.resident_id, event.organisation_id, event.language) == (RES, ORG, "sv")
    assert (event.requested_by, event.unit_id) == ("nurse-1", "unit-7")
    assert "knee" not in event.model_dump_json()
    assert store.chat_cases[chat.chat_id].attached_at is None
    assert store.case_messages == []  # nothing on a case until intake opened it
    assert any(isinstance(e, ChatTransferred) and e.to_non_urgent for e in store.outbox)


async def test_a_caseless_chat_that_merely_ends_asks_for_no_case(store: Store) -> None:
    chat = await _talked_chat(store)
    await end_chat_as_professional(FakeChatUow(store), NURSE, chat.chat_id, now=T0)
    assert not any(isinstance(e, ChatCaseRequested) for e in store.outbox)
    assert any(isinstance(e, ChatEnded) for e in store.outbox)
    assert store.chat_cases == {}


async def test_the_opened_case_gets_the_transcript_once_unread_for_professionals(
    store: Store,
) -> None:
    chat = await _talked_chat(store)
    await transfer_chat(FakeChatUow(store), NURSE, chat.chat_id, to_channel_id=None, now=T0)
    case_id = case_id_for_chat(chat.chat_id)
    _case_known(store, case_id)
    uow = FakeChatUow(store)
    async with uow:
        assert await attach_transcript(uow, case_id, T0) == 3
        await uow.commit()
    assert [m.body for m in store.case_messages] == ["My knee hurts", "Since when?", "Two weeks"]
    sent = [e for e in store.outbox if isinstance(e, MessageSent)]
    assert len(sent) == 1
    assert (sent[0].case_id, sent[0].author, sent[0].unread_by_professionals) == (
        case_id,
        "resident",
        2,
    )
    assert store.chat_cases[chat.chat_id].attached_at == T0
    again = FakeChatUow(store)  # a redelivered case event
    async with again:
        assert await attach_transcript(again, case_id, T0) == 0
        await again.commit()
    assert len(store.case_messages) == 3


async def test_a_case_no_chat_asked_for_or_of_another_resident_gets_nothing(store: Store) -> None:
    unrelated = uuid4()
    _case_known(store, unrelated)
    uow = FakeChatUow(store)
    async with uow:
        assert await attach_transcript(uow, unrelated, T0) == 0
    chat = await _talked_chat(store)
    await transfer_chat(FakeChatUow(store), NURSE, chat.chat_id, to_channel_id=None, now=T0)
    case_id = case_id_for_chat(chat.chat_id)
    _case_known(store, case_id, resident=RES2)
    uow = FakeChatUow(store)
    async with uow:
        assert await attach_transcript(uow, case_id, T0) == 0
    assert store.case_messages == []
