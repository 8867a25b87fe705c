from datetime import timedelta

import pytest

from careflow.messaging.domain import chat_events as ev
from careflow.messaging.domain.channels import Visibility
from careflow.messaging.domain.chat_access import professional_sees_content, resident_sees_content
from careflow.messaging.domain.chat_errors import (
    ChannelClosed,
    ChatAlreadyTaken,
    ChatNotAllowed,
    ChatStateConflict,
    InvalidChatRequest,
    NotPresent,
)
from careflow.messaging.domain.chats import ChatStatus, EndReason, SenderKind

from .chat_builders import ORG, RES, RES2, T0, channel, present, waiting_chat

IDLE = timedelta(minutes=15)


def test_a_resident_starts_a_waiting_chat_in_an_open_channel():
    ch = channel()
    chat = waiting_chat(ch)
    assert chat.status is ChatStatus.WAITING
    assert chat.waiting_since == T0


def test_a_closed_channel_refuses_a_new_chat():
    with pytest.raises(ChannelClosed):
        waiting_chat(channel(is_open=False))


def test_a_present_professional_takes_a_waiting_chat_and_a_second_one_is_refused():
    ch = channel()
    chat = waiting_chat(ch)
    chat.take("pro-1", present(ch, "pro-1"), T0)
    assert (chat.status, chat.taken_by) == (ChatStatus.TAKEN, "pro-1")
    assert isinstance(chat.events[-1], ev.ChatTaken)
    with pytest.raises(ChatAlreadyTaken):
        chat.take("pro-2", present(ch, "pro-2"), T0)


def test_a_professional_not_present_in_the_channel_cannot_open_its_chat():
    ch = channel()
    chat = waiting_chat(ch)
    with pytest.raises(NotPresent):
        chat.take("pro-1", present(ch, is_present=False), T0)
    with pytest.raises(NotPresent):
        chat.take("pro-1", present(channel(), "pro-1"), T0)  # present elsewhere
    with pytest.raises(NotPresent):
        chat.take("pro-1", None, T0)


def test_messages_get_consecutive_sequence_numbers():
    ch = channel()
    chat = waiting_chat(ch)
    first = chat.post(SenderKind.RESIDENT, str(RES), " hello ", T0)
    chat.take("pro-1", present(ch), T0)
    second = chat.post(SenderKind.PROFESSIONAL, "pro-1", "hi", T0)
    assert (first.sequence, first.text, second.sequence) == (1, "hello", 2)


def test_only_the_taker_writes_as_a_professional_and_only_the_resident_as_the_resident():
    ch = channel()
    chat = waiting_chat(ch)
    with pytest.raises(ChatNotAllowed):
        chat.post(SenderKind.PROFESSIONAL, "pro-1", "hi", T0)  # not taken yet
    chat.take("pro-1", present(ch), T0)
    with pytest.raises(ChatNotAllowed):
        chat.post(SenderKind.PROFESSIONAL, "pro-2", "hi", T0)
    with pytest.raises(ChatNotAllowed):
        chat.post(SenderKind.RESIDENT, str(RES2), "hi", T0)
    assert chat.last_sequence == 0


@pytest.mark.parametrize("text", ["", "  ", "x" * 5001, "bell\x07"])
def test_an_empty_oversized_or_control_character_message_is_refused(text):
    chat = waiting_chat(channel())
    with pytest.raises(InvalidChatRequest):
        chat.post(SenderKind.RESIDENT, str(RES), text, T0)


def test_a_transfer_to_a_professional_only_channel_waits_there_for_someone_present():
    nurse, doctor = channel(), channel(visibility=Visibility.PROFESSIONALS)
    chat = waiting_chat(nurse)
    chat.take("pro-1", present(nurse), T0)
    chat.transfer_to_channel(doctor, "pro-1", present(nurse), T0 + timedelta(minutes=3))
    assert (chat.channel_id, chat.status, chat.taken_by) == (
        doctor.channel_id, ChatStatus.WAITING, None,
    )  # fmt: skip
    assert chat.waiting_since == T0 + timedelta(minutes=3)
    moved = chat.events[-1]
    assert isinstance(moved, ev.ChatTransferred)
    assert moved.to_channel_id == doctor.channel_id


def test_a_transfer_to_a_closed_channel_or_by_someone_else_is_refused():
    ch = channel()
    chat = waiting_chat(ch)
    chat.take("pro-1", present(ch), T0)
    with pytest.raises(ChannelClosed):
        chat.transfer_to_channel(channel(is_open=False), "pro-1", present(ch), T0)
    with pytest.raises(ChatNotAllowed):
        chat.transfer_to_channel(channel(), "pro-2", present(ch, "pro-2"), T0)
    with pytest.raises(InvalidChatRequest):
        chat.transfer_to_channel(channel(org="org-2"), "pro-1", present(ch), T0)


def test_a_transfer_to_non_urgent_ends_the_live_chat_for_the_case_conversation():
    ch = channel()
    chat = waiting_chat(ch)
    chat.take("pro-1", present(ch), T0)
    chat.post(SenderKind.RESIDENT, str(RES), "hello", T0)
    chat.transfer_to_non_urgent("pro-1", present(ch), T0)
    moved, ended = chat.events[-2:]
    assert isinstance(moved, ev.ChatTransferred)
    assert moved.to_non_urgent
    assert moved.last_sequence == 1
    assert isinstance(ended, ev.ChatEnded)
    assert ended.reason == "transferred_non_urgent"


def test_either_side_ends_the_chat_and_nothing_is_posted_after():
    ch = channel()
    by_resident = waiting_chat(ch)
    by_resident.end_by_resident(RES, T0)
    assert by_resident.end_reason is EndReason.RESIDENT
    with pytest.raises(ChatStateConflict):
        by_resident.post(SenderKind.RESIDENT, str(RES), "still there?", T0)
    by_pro = waiting_chat(ch)
    by_pro.take("pro-1", present(ch), T0)
    by_pro.end_by_professional("pro-1", present(ch), T0)
    assert by_pro.end_reason is EndReason.PROFESSIONAL


def test_a_taken_chat_ends_at_exactly_its_idle_deadline_and_not_before():
    ch = channel()
    chat = waiting_chat(ch)
    chat.take("pro-1", present(ch), T0)
    assert not chat.expire_if_idle(T0 + IDLE - timedelta(microseconds=1), IDLE)
    assert chat.expire_if_idle(T0 + IDLE, IDLE)
    assert chat.end_reason is EndReason.IDLE


def test_a_message_moves_the_idle_deadline_and_a_waiting_chat_never_idles_out():
    ch = channel()
    waiting = waiting_chat(ch)
    assert not waiting.expire_if_idle(T0 + 10 * IDLE, IDLE)
    chat = waiting_chat(ch)
    chat.take("pro-1", present(ch), T0)
    chat.post(SenderKind.RESIDENT, str(RES), "hi", T0 + IDLE - timedelta(seconds=1))
    assert not chat.expire_if_idle(T0 + IDLE, IDLE)


def test_only_the_present_taker_of_the_organisation_sees_content():
    ch = channel()
    chat = waiting_chat(ch)
    here = {ch.channel_id}
    assert not professional_sees_content(
        chat, professional_id="pro-1", organisation_id=ORG, present_in=here
    )
    chat.take("pro-1", present(ch), T0)
    assert professional_sees_content(
        chat, professional_id="pro-1", organisation_id=ORG, present_in=here
    )
    assert not professional_sees_content(
        chat, professional_id="pro-1", organisation_id=ORG, present_in=set()
    )
    assert not professional_sees_content(
        chat, professional_id="pro-2", organisation_id=ORG, present_in=here
    )
    assert not professional_sees_content(
        chat, professional_id="pro-1", organisation_id="org-2", present_in=here
    )
    assert resident_sees_content(chat, resident_id=RES)
    assert not resident_sees_content(chat, resident_id=RES2)


def test_presence_with_email_notification_needs_an_address_and_events_only_on_change():
    ch = channel()
    p = present(ch)
    with pytest.raises(InvalidChatRequest):
        p.change(
            present=True, notify_email=True, notify_sound=False, email=None, language="fi", now=T0
        )
    p.change(present=True, notify_email=False, notify_sound=True, email=None, language="sv", now=T0)
    assert p.events == []
    p.change(
        present=False, notify_email=False, notify_sound=True, email=None, language="sv", now=T0
    )
    assert isinstance(p.events[-1], ev.PresenceChanged)
    assert not p.wants_sound
