"""What the reminders service tells notification, on `reminders.withdrawals.v1`.

Reminders hands a due send to notification as a `NotificationRequested` (on
notification's topic) at its send time. When the reason for it goes away after
that (the appointment was cancelled or moved, the service performed again)
while notification has not sent it yet, reminders publishes
`NotificationWithdrawn`: notification then does not send it, up to the moment
of sending. A replacement is a new request under a new id, named in
`replaced_by`, so the old one never goes out beside it.

Keyed by `notification_id`, like the request it withdraws. Ids and codes only.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from careflow.contracts.base import ContractEvent

WithdrawalReason = Literal[
    "appointment_cancelled",
    "appointment_moved",
    "performed_again",
    "reminder_cancelled",
    "text_replaced",
]


class NotificationWithdrawn(ContractEvent):
    """A requested notification must not be sent any more (if it has not been already)."""

    event_type: ClassVar[str] = "careflow.notification_request.withdrawn.v1"
    key_field: ClassVar[str] = "notification_id"

    notification_id: UUID = Field(description="The request withdrawn; the Kafka key.")
    reason: WithdrawalReason = Field(description="Why it is withdrawn.")
    replaced_by: UUID | None = Field(
        default=None, description="The request that replaces it, when there is one."
    )
    withdrawn_at: AwareDatetime = Field(description="When it was withdrawn (UTC).")


REMINDER_EVENTS: tuple[type[ContractEvent], ...] = (NotificationWithdrawn,)
