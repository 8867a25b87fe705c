"""Chat and channel domain events as contract events (no message text in any of them)."""

from __future__ import annotations

from collections.abc import Iterable

from careflow.contracts import chats as c
from careflow.contracts.base import ContractEvent
from careflow.messaging.domain import chat_events as ev


def contract_events(events: Iterable[ev.ChatDomainEvent]) -> list[ContractEvent]:
    return [_one(e) for e in events]


def _one(e: ev.ChatDomainEvent) -> ContractEvent:
    match e:
        case ev.ChannelStateChanged():
            return c.ChannelStateChanged(
                channel_id=e.channel_id, organisation_id=e.organisation_id, state=e.state,
                visibility=e.visibility, cause=e.cause, changed_by=e.changed_by, changed_at=e.at,
            )  # fmt: skip
        case ev.PresenceChanged():
            return c.ChatPresenceChanged(
                channel_id=e.channel_id, organisation_id=e.organisation_id,
                professional_id=e.professional_id, present=e.present,
                notify_email=e.notify_email, notify_sound=e.notify_sound, changed_at=e.at,
            )  # fmt: skip
        case ev.ChatStarted():
            return c.ChatStarted(
                chat_id=e.chat_id, organisation_id=e.organisation_id, channel_id=e.channel_id,
                resident_id=e.resident_id, language=e.language, case_id=e.case_id,
                started_at=e.at,
            )  # fmt: skip
        case ev.ChatTaken():
            return c.ChatTaken(
                chat_id=e.chat_id, organisation_id=e.organisation_id, channel_id=e.channel_id,
                professional_id=e.professional_id, taken_at=e.at,
            )  # fmt: skip
        case ev.ChatTransferred():
            return c.ChatTransferred(
                chat_id=e.chat_id, organisation_id=e.organisation_id,
                from_channel_id=e.from_channel_id, to_channel_id=e.to_channel_id,
                to_non_urgent=e.to_non_urgent, resident_id=e.resident_id, case_id=e.case_id,
                transferred_by=e.by, last_sequence=e.last_sequence, transferred_at=e.at,
            )  # fmt: skip
        case ev.ChatEnded():
            return c.ChatEnded(
                chat_id=e.chat_id, organisation_id=e.organisation_id, channel_id=e.channel_id,
                resident_id=e.resident_id, case_id=e.case_id, reason=e.reason,
                last_sequence=e.last_sequence, ended_at=e.at,
            )  # fmt: skip
    raise TypeError(f"no contract for {type(e).__name__}")


def publish(outbox: object, *aggregates: object) -> None:
    """Moves the aggregates' pending domain events to the outbox."""
    for aggregate in aggregates:
        events = aggregate.events  # type: ignore[attr-defined]
        for event in contract_events(events):
            outbox.add(event)  # type: ignore[attr-defined]
        events.clear()
