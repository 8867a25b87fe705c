"""Domain decisions -> contract events: requests handed to notification, withdrawals."""

from __future__ import annotations

from datetime import datetime

from careflow.contracts.notifications import NotificationRequested
from careflow.contracts.reminders import NotificationWithdrawn
from careflow.reminders.application.ports import DueSend, EventOutbox
from careflow.reminders.domain.reminder import PURPOSES, Kind, Withdrawal

REQUESTER = "reminders"


def request_for(send: DueSend, channels: tuple[str, ...], now: datetime) -> NotificationRequested:
    """The send's id is the notification id: a request republished notifies once.

    Every request names the reminder's organisation (`organisation_id`, on whose behalf
    it is made). An appointment reminder also names its booking's case: the link opens
    the case (its bookings), notification addresses it as the case's (a guardian's case
    reaches the guardian), and professionals of the case's organisation see it in the
    resident's communication history. Other reminders link to the resident's reminders
    page; notification shows them to the professionals of the organisation named.
    """
    target = {"link_target": "case", "case_id": send.case_id} if send.case_id else {}
    return NotificationRequested(
        notification_id=send.send_id,
        requested_by=REQUESTER,
        requested_at=now,
        resident_id=send.resident_id,
        purpose=PURPOSES[Kind(send.kind)],  # type: ignore[arg-type]
        channels=list(channels),  # type: ignore[arg-type]
        organisation_id=send.organisation_id,
        **({"link_target": "reminders"} | target),  # type: ignore[arg-type]
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
