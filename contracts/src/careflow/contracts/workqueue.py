"""Work-queue events workqueue publishes on `workqueue.items.v1`, keyed by case_id.

One queue item per case, so the item is identified by the case id. Consumers:
the external professional desktop integration (queue changes), intake (who has
taken a case; "before taken" closing), notification (ask the resident to
complete an incomplete submission).

No free text: the reason for an urgency change is a closed code on the topic;
the professional's explanation stays in workqueue's database.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from careflow.contracts.base import ContractEvent
from careflow.contracts.common import CaseKind, ClosingReason, ExternalId, Language
from careflow.contracts.urgency import UrgencyClass


class QueueEvent(ContractEvent):
    key_field: ClassVar[str] = "case_id"

    case_id: UUID = Field(description="Id of the case the queue item is for; the Kafka key.")


class QueueItemAdded(QueueEvent):
    """A case entered an organisation's work queue (free, or already assigned)."""

    event_type: ClassVar[str] = "careflow.queue_item.added.v1"

    resident_id: UUID = Field(description="Pseudonymous id of the resident.")
    organisation_id: ExternalId = Field(description="Organisation whose queue holds the item.")
    unit_id: ExternalId | None = Field(default=None, description="Unit of the queue, if any.")
    group_id: ExternalId | None = Field(
        default=None, description="Group queue the item is in; None = the organisation's queue."
    )
    case_kind: CaseKind = Field(description="Kind of form or case, for filtering.")
    urgency: UrgencyClass | None = Field(
        default=None, description="Urgency class; None when the case has none."
    )
    language: Language = Field(description="Language of the case, for filtering.")
    proxy_contact: bool = Field(default=False, description="A guardian acts for a child.")
    assigned_to: ExternalId | None = Field(
        default=None,
        description="Professional the item is already assigned to (e.g. created at an "
        "appointment); None = a free task.",
    )
    submitted_at: AwareDatetime = Field(description="When the case was submitted or created (UTC).")
    added_at: AwareDatetime = Field(description="When the item entered the queue (UTC).")


class QueueItemTaken(QueueEvent):
    """A professional took the item: it leaves the free tasks for their own queue."""

    event_type: ClassVar[str] = "careflow.queue_item.taken.v1"

    professional_id: ExternalId = Field(description="The professional now responsible.")
    taken_at: AwareDatetime = Field(description="When the item was taken (UTC).")


class QueueItemTransferred(QueueEvent):
    """The item was transferred to another professional or group (clears "incomplete")."""

    event_type: ClassVar[str] = "careflow.queue_item.transferred.v1"

    transferred_by: ExternalId = Field(description="The professional who transferred it.")
    to_professional_id: ExternalId | None = Field(
        default=None, description="Receiving professional; set when not to a group."
    )
    to_group_id: ExternalId | None = Field(
        default=None, description="Receiving group; set when not to a professional."
    )
    transferred_at: AwareDatetime = Field(description="When the item was transferred (UTC).")

    @model_validator(mode="after")
    def _one_target(self) -> QueueItemTransferred:
        if (self.to_professional_id is None) == (self.to_group_id is None):
            raise ValueError("transfer to exactly one of a professional or a group")
        return self


UrgencyChangeReason = Literal[
    "clinical_reassessment",
    "new_information",
    "condition_changed",
    "assessment_error",
    "other",
]


class UrgencyChanged(QueueEvent):
    """A professional changed the urgency class of an item being handled; history is kept."""

    event_type: ClassVar[str] = "careflow.queue_item.urgency_changed.v1"

    original_urgency: UrgencyClass | None = Field(
        description="The class the item had when it entered the queue."
    )
    previous_urgency: UrgencyClass | None = Field(description="The class before this change.")
    current_urgency: UrgencyClass = Field(description="The class from now on.")
    reason_code: UrgencyChangeReason = Field(
        description="Why; the professional's explanation stays in workqueue."
    )
    changed_by: ExternalId = Field(description="The professional who changed it.")
    changed_at: AwareDatetime = Field(description="When it changed (UTC).")

    @model_validator(mode="after")
    def _a_change(self) -> UrgencyChanged:
        if self.previous_urgency == self.current_urgency:
            raise ValueError("current_urgency equals previous_urgency")
        return self


class QueueItemMarkedIncomplete(QueueEvent):
    """The submission lacks information; the resident is asked to complete it."""

    event_type: ClassVar[str] = "careflow.queue_item.marked_incomplete.v1"

    resident_id: UUID = Field(description="Pseudonymous id of the resident to ask.")
    marked_by: ExternalId = Field(description="The professional who has taken the item.")
    marked_at: AwareDatetime = Field(description="When it was marked (UTC).")


IncompleteClearedBy = Literal[
    "resident_message",
    "resident_proposed_closing",
    "booking_cancelled",
    "goal_edited",
    "questionnaire_filled",
    "transferred",
    "professional",
]


class IncompleteCleared(QueueEvent):
    """The item is no longer incomplete and is back in the default view."""

    event_type: ClassVar[str] = "careflow.queue_item.incomplete_cleared.v1"

    cleared_by: IncompleteClearedBy = Field(description="What cleared it.")
    cleared_at: AwareDatetime = Field(description="When it was cleared (UTC).")


class QueueItemRemoved(QueueEvent):
    """The item left every queue without being handled (resident closed before it was taken)."""

    event_type: ClassVar[str] = "careflow.queue_item.removed.v1"

    reason: Literal["closed_before_taken"] = Field(description="Why the item was removed.")
    removed_at: AwareDatetime = Field(description="When it was removed (UTC).")


class QueueItemClosed(QueueEvent):
    """The case was closed; the item moved to the closed work queue."""

    event_type: ClassVar[str] = "careflow.queue_item.closed.v1"

    closing_reason: ClosingReason = Field(description="Why the case was closed.")
    closed_at: AwareDatetime = Field(description="When the case was closed (UTC).")


QUEUE_EVENTS: tuple[type[QueueEvent], ...] = (
    QueueItemAdded,
    QueueItemTaken,
    QueueItemTransferred,
    UrgencyChanged,
    QueueItemMarkedIncomplete,
    IncompleteCleared,
    QueueItemRemoved,
    QueueItemClosed,
)
