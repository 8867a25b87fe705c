"""Domain decisions -> contract events: requests handed to notification, withdrawals."""

from __future__ import annotations

from datetime import datetime

from careflow.contracts.notifications import NotificationRequested
from careflow.contracts.reminders import NotificationWithdrawn
from careflow.reminders.application.ports import DueSend, EventOutbox
from careflow.reminders.domain.reminder import PURPOSES, Kind, Withdrawal

REQUESTER = "reminders"


def request_for(send: DueSend, channels: tuple[str, ...], now: datetime) -> NotificationRequested:
    """The send's id is the notification id: a request republished notifies once."""
    return NotificationRequested(
        notification_id=send.send_id,
        requested_by=REQUESTER,
        requested_at=now,
        resident_id=send.resident_id,
        purpose=PURPOSES[Kind(send.kind)],  # type: ignore[arg-type]
        channels=list(channels),  # type: ignore[arg-type]
        link_target="reminders",
    )


def publish_withdrawals(outbox: EventOutbox, withdrawals: list[Withdrawal], now: datetime) -> None:
    for w in withdrawals:
        outbox.add(
            NotificationWithdrawn(
                notification_id=w.notification_id,
                reason=w.reason,  # type: ignore[arg-type]
                withdrawn_at=now,
            )
        )
