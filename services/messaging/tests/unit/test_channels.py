from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from careflow.messaging.domain import chat_events as ev
from careflow.messaging.domain.channels import (
    Channel,
    ChannelState,
    Visibility,
    may_manage_channels,
    require_channel_admin,
)
from careflow.messaging.domain.chat_errors import ChannelClosed, ChatNotAllowed, InvalidChatRequest
from careflow.messaging.domain.opening_hours import Interval, OpeningHours

from .chat_builders import T0, channel

HOURS = OpeningHours(
    "Europe/Helsinki", {day: (Interval.parse("08:00", "16:00"),) for day in range(5)}
)


def test_a_new_channel_without_hours_is_closed_and_says_so_in_an_event():
    made = Channel.create(
        channel_id=uuid4(), organisation_id="o", name=" Nurse chat ",
        visibility=Visibility.RESIDENTS,
        by="admin-1", now=T0,
    )  # fmt: skip
    assert made.name == "Nurse chat"
    assert made.state is ChannelState.CLOSED
    [event] = made.events
    assert isinstance(event, ev.ChannelStateChanged)
    assert (event.state, event.cause, event.changed_by) == ("closed", "created", "admin-1")


def test_a_new_channel_with_hours_starts_in_the_state_they_give_and_knows_its_next_change():
    made = Channel.create(
        channel_id=uuid4(), organisation_id="o", name="n", visibility=Visibility.RESIDENTS,
        by="a", now=T0, opening_hours=HOURS,
    )  # fmt: skip
    assert made.state is ChannelState.OPEN
    assert made.next_transition_at == datetime.fromisoformat("2026-12-07T16:00:00+02:00")


def test_the_three_states_open_open_with_congestion_notice_and_closed():
    ch = channel()
    assert ch.state is ChannelState.OPEN
    assert ch.notice is None
    ch.set_congestion(True, "Long queue today", by="a", now=T0)
    assert ch.state is ChannelState.OPEN_CONGESTED
    assert ch.notice == "Long queue today"
    ch.set_open(False, by="a", now=T0)
    assert ch.state is ChannelState.CLOSED
    assert [e.state for e in ch.events] == ["open_congested", "closed"]


def test_the_congestion_notice_without_own_text_shows_the_default_wording():
    ch = channel()
    ch.set_congestion(True, None, by="a", now=T0)
    assert ch.notice
    assert "congested" in ch.notice


def test_setting_the_same_state_again_records_no_event():
    ch = channel()
    ch.set_open(True, by="a", now=T0)
    ch.set_congestion(False, None, by="a", now=T0)
    assert ch.events == []


def test_the_timer_applies_the_schedule_at_the_boundary_and_moves_to_the_next():
    ch = channel(hours=HOURS)
    closing = datetime.fromisoformat("2026-12-07T16:00:00+02:00")
    ch.apply_schedule(closing - timedelta(microseconds=1))
    assert ch.state is ChannelState.OPEN
    assert ch.events == []
    ch.apply_schedule(closing)
    assert ch.state is ChannelState.CLOSED
    assert ch.next_transition_at == datetime.fromisoformat("2026-12-08T08:00:00+02:00")
    assert ch.events[-1].cause == "schedule"
    assert ch.events[-1].changed_by is None


def test_a_manual_change_stands_until_the_next_scheduled_boundary():
    ch = channel(hours=HOURS)
    ch.set_open(False, by="admin", now=T0)  # closed by hand during opening hours
    ch.apply_schedule(T0 + timedelta(hours=1))  # a tick before the boundary changes nothing
    assert ch.state is ChannelState.CLOSED
    ch.apply_schedule(datetime.fromisoformat("2026-12-08T08:00:00+02:00"))
    assert ch.state is ChannelState.OPEN


def test_a_late_timer_applies_the_state_for_now_not_for_the_missed_boundary():
    ch = channel(hours=HOURS)
    ch.set_open(False, by="admin", now=T0)
    # Down from before Tuesday's opening until after it closed: stays closed.
    ch.apply_schedule(datetime.fromisoformat("2026-12-08T17:00:00+02:00"))
    assert ch.state is ChannelState.CLOSED
    assert ch.next_transition_at == datetime.fromisoformat("2026-12-09T08:00:00+02:00")


def test_only_an_open_resident_visible_channel_takes_a_residents_chat():
    channel().accept_resident_chat()
    with pytest.raises(ChannelClosed):
        channel(is_open=False).accept_resident_chat()
    with pytest.raises(ChannelClosed):
        channel(visibility=Visibility.PROFESSIONALS).accept_resident_chat()


def test_a_closed_channel_refuses_transfers_and_an_open_professional_only_one_takes_them():
    channel(visibility=Visibility.PROFESSIONALS).accept_transfer()
    with pytest.raises(ChannelClosed):
        channel(visibility=Visibility.PROFESSIONALS, is_open=False).accept_transfer()


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [({"admin"}, True), ({"chat_admin", "nurse"}, True), ({"nurse"}, False), (set(), False)],
)
def test_only_channel_admin_roles_manage_channels(roles, allowed):
    assert may_manage_channels(roles) is allowed
    if not allowed:
        with pytest.raises(ChatNotAllowed):
            require_channel_admin(roles)


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there"])
def test_a_bad_channel_name_is_refused(name):
    with pytest.raises(InvalidChatRequest):
        channel().rename(name, T0)
