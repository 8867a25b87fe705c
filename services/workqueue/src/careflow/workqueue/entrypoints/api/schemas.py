"""HTTP request and response bodies (not contract models, not tables)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from careflow.contracts.common import ExternalId
from careflow.contracts.urgency import UrgencyScale
from careflow.contracts.workqueue import UrgencyChangeReason
from careflow.workqueue.domain.model import QueueItem, Status
from careflow.workqueue.domain.ordering import pinned

Explanation = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]


class _Body(BaseModel):
    # Commands reject unknown members: a typo must not silently do nothing.
    model_config = ConfigDict(extra="forbid")


class TransferBody(_Body):
    """Exactly one of `to_professional_id` or `to_group_id`."""

    # The validator below, stated in the OpenAPI.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": [target], "properties": {target: {"type": "string"}}}
                for target in ("to_professional_id", "to_group_id")
            ]
        },
    )

    to_professional_id: ExternalId | None = None
    to_group_id: ExternalId | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TransferBody:
        if (self.to_professional_id is None) == (self.to_group_id is None):
            raise ValueError("give exactly one of to_professional_id or to_group_id")
        return self


class UrgencyChangeBody(_Body):
    urgency: Literal["P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]
    reason_code: UrgencyChangeReason
    explanation: Explanation = Field(description="Why; stays in workqueue, never on a topic.")


class UrgencyChangeOut(BaseModel):
    previous: str | None
    current: str
    reason_code: str
    explanation: str
    changed_by: str
    changed_at: datetime


class ItemOut(BaseModel):
    """A task as the queue shows it: both the original and the current urgency class."""

    case_id: UUID
    resident_id: UUID
    organisation_id: str
    unit_id: str | None
    group_id: str | None
    case_kind: str
    language: str
    proxy_contact: bool
    status: Status
    assignee: str | None = Field(description="Who is responsible; None for a free task.")
    original_urgency: str | None
    urgency: str | None
    urgency_changed: bool
    immediate: bool = Field(description="P0: treat immediately; never a free task.")
    pinned: bool = Field(description="An emergency record, shown in every group queue.")
    resident_proposed_closing: bool
    unread_messages: int = Field(
        description="The resident's messages on the case no professional has read yet."
    )
    submitted_at: datetime
    added_at: datetime
    taken_at: datetime | None
    closing_reason: str | None
    closed_at: datetime | None
    response_due_at: datetime | None = Field(
        description="Submission + the class's target response time (the organisation's "
        "scale); None when the class has no target."
    )
    time_left_seconds: float | None = Field(
        description="Seconds left to response_due_at while the task is free (nobody has "
        "taken it); negative once past; None otherwise."
    )
    overdue: bool = Field(description="Free and past its class's target response time.")

    @classmethod
    def of(cls, item: QueueItem, now: datetime) -> ItemOut:
        left = item.time_left(now)
        return cls(
            case_id=item.case_id,
            resident_id=item.resident_id,
            organisation_id=item.organisation_id,
            unit_id=item.unit_id,
            group_id=item.group_id,
            case_kind=item.case_kind,
            language=item.language,
            proxy_contact=item.proxy_contact,
            status=item.status,
            assignee=item.assignee,
            original_urgency=item.original_urgency,
            urgency=item.urgency,
            urgency_changed=bool(item.urgency_history),
            immediate=item.immediate,
            pinned=pinned(item),
            resident_proposed_closing=item.resident_proposed_closing,
            unread_messages=item.unread_messages,
            submitted_at=item.submitted_at,
            added_at=item.added_at,
            taken_at=item.taken_at,
            closing_reason=item.closing_reason,
            closed_at=item.closed_at,
            response_due_at=item.response_due_at,
            time_left_seconds=None if left is None else left.total_seconds(),
            overdue=item.overdue(now),
        )


class ItemDetailOut(ItemOut):
    urgency_history: list[UrgencyChangeOut]

    @classmethod
    def of(cls, item: QueueItem, now: datetime) -> ItemDetailOut:  # type: ignore[override]
        base = ItemOut.of(item, now).model_dump()
        history = [UrgencyChangeOut(**vars(c)) for c in item.urgency_history]
        return cls(**base, urgency_history=history)


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


class UrgencyLevelOut(BaseModel):
    """One class of the scale as the caller's organisation uses it."""

    code: str = Field(description="The class code carried in events, P0-P8.")
    rank: int = Field(description="Sort rank; lower is more urgent.")
    label: str
    automatic: bool = Field(description="Set by the assessment (P0-P5, P8); else optional.")
    enabled: bool
    target_response: timedelta | None = Field(
        description="Target response time (ISO 8601 duration); None: no contact needed."
    )
    treat_immediately: bool = Field(description="P0: call the emergency number; never queued.")


class UrgencyScaleOut(BaseModel):
    """The nine classes in rank order; `organisation_id` None for CareFlow's default."""

    organisation_id: str | None
    levels: list[UrgencyLevelOut]

    @classmethod
    def of(cls, scale: UrgencyScale) -> UrgencyScaleOut:
        return cls(
            organisation_id=scale.organisation_id,
            levels=[
                UrgencyLevelOut(
                    code=level.code,
                    rank=level.rank,
                    label=level.label,
                    automatic=level.automatic,
                    enabled=level.enabled,
                    target_response=level.target_response,
                    treat_immediately=level.treat_immediately,
                )
                for level in scale
            ],
        )
