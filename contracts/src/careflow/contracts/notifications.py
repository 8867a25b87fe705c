"""Requests to notify someone, published on `notification.requests.v1` by other services.

The notification service owns the topic and is its only reader; messaging,
reminders and other systems publish to it. Keyed by `notification_id`: every
request stands alone (no per-resident ordering is needed), the id is the
idempotency key (a request published twice, under any event id, notifies
once) and spreading by it balances the partitions.

No field carries free text: the notification service writes the words from
its own templates in the recipient's language, and a notification never
says more than that something new waits, with a link to log in.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from careflow.contracts.base import ContractEvent
from careflow.contracts.common import ExternalId, Language
from careflow.contracts.residents import EmailAddress

#: What a resident is notified of; picks the template. Never a diagnosis or a service name.
NotificationPurpose = Literal[
    "new_message",
    "appointment_reminder",
    "patient_reminder",
    "new_content",
]
#: Where the link in the notification leads (after login).
LinkTarget = Literal["case", "messages", "reminders", "front_page"]
Channel = Literal["email", "sms"]


class NotificationRequest(ContractEvent):
    key_field: ClassVar[str] = "notification_id"

    notification_id: UUID = Field(
        description="Id chosen by the requester; the Kafka key and the idempotency key."
    )
    requested_by: ExternalId = Field(description="The requesting system, e.g. 'messaging'.")
    requested_at: AwareDatetime = Field(description="When the request was made (UTC).")


class NotificationRequested(NotificationRequest):
    """Notify a resident, consent permitting, that something new waits for them.

    Consents decide channel by channel; a suppressed channel is recorded with
    its reason on the resident's communication history.
    """

    event_type: ClassVar[str] = "careflow.notification.requested.v1"

    resident_id: UUID = Field(description="Pseudonymous id of the resident to notify.")
    purpose: NotificationPurpose = Field(description="What it is about; picks the template.")
    channels: list[Channel] = Field(
        min_length=1, max_length=2, description="Channels wanted; consents may suppress any."
    )
    link_target: LinkTarget = Field(description="Where the link in the notification leads.")
    case_id: UUID | None = Field(
        default=None, description="The case the link opens; required when link_target is 'case'."
    )
    not_before: AwareDatetime | None = Field(
        default=None, description="Do not send before this time (UTC), e.g. a reminder's slot."
    )
    organisation_id: ExternalId | None = Field(
        default=None,
        description="The organisation on whose behalf it was requested (e.g. the one whose "
        "reminder it is). Without a case, its professionals see the notification in the "
        "resident's communication history; with a case, the case's organisation decides. "
        "None = no professional sees a notification without a case.",
    )

    @model_validator(mode="after")
    def _rules(self) -> NotificationRequested:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels repeat")
        if (self.link_target == "case") != (self.case_id is not None):
            raise ValueError("case_id is set exactly when link_target is 'case'")
        return self


class ProfessionalChatNotificationRequested(NotificationRequest):
    """Email a professional that a new chat waits on a channel where they are active.

    Messaging publishes it only for professionals who chose email notifications
    of new chats on that channel. The address is the professional's work email;
    the topic is readable by the notification service only.
    """

    event_type: ClassVar[str] = "careflow.notification.professional_chat_requested.v1"

    professional_id: ExternalId = Field(description="Id of the professional to notify.")
    organisation_id: ExternalId = Field(description="Organisation of the chat channel.")
    channel_id: ExternalId = Field(description="The chat channel with the new chat.")
    chat_id: UUID = Field(description="The new chat; the link opens it.")
    email: EmailAddress = Field(description="The professional's work email address.")
    language: Language = Field(description="Language of the professional's user interface.")


NOTIFICATION_REQUESTS: tuple[type[NotificationRequest], ...] = (
    NotificationRequested,
    ProfessionalChatNotificationRequested,
)
