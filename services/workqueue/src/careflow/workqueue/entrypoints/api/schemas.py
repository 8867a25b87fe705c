"""HTTP request and response bodies (not contract models, not tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from careflow.contracts.common import ExternalId
from careflow.contracts.workqueue import UrgencyChangeReason
from careflow.workqueue.domain.audit import AuditRecord
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
    immediate: bool = Field(description="P0: treat immediately; pinned to the top while free.")
    pinned: bool
    resident_proposed_closing: bool
    submitted_at: datetime
    added_at: datetime
    taken_at: datetime | None
    closing_reason: str | None
    closed_at: datetime | None

    @classmethod
    def of(cls, item: QueueItem) -> ItemOut:
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
            submitted_at=item.submitted_at,
            added_at=item.added_at,
            taken_at=item.taken_at,
            closing_reason=item.closing_reason,
            closed_at=item.closed_at,
        )


class ItemDetailOut(ItemOut):
    urgency_history: list[UrgencyChangeOut]

    @classmethod
    def of(cls, item: QueueItem) -> ItemDetailOut:
        base = ItemOut.of(item).model_dump()
        history = [UrgencyChangeOut(**vars(c)) for c in item.urgency_history]
        return cls(**base, urgency_history=history)


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


class AuditRecordOut(BaseModel):
    professional_id: str
    resident_id: UUID
    case_id: UUID
    action: str
    at: datetime

    @classmethod
    def of(cls, record: AuditRecord) -> AuditRecordOut:
        return cls(
            professional_id=record.professional_id,
            resident_id=record.resident_id,
            case_id=record.case_id,
            action=record.action.value,
            at=record.at,
        )


class AuditPage(BaseModel):
    records: list[AuditRecordOut]
    total: int
    limit: int
    offset: int
