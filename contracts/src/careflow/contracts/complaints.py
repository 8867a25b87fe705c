"""Feedback and complaints: where each case is and how far it has come, on
`complaints.cases.v1`, keyed by `case_id` (one case's events stay in order).

Ids, codes and times only: what the resident wrote (where it happened, what
happened, an unknown clinic's description) stays in the complaints service's
database and reaches only the place that handles the case.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from careflow.contracts.base import ContractEvent

#: A health-care directory id, e.g. SE2321000016-15CQ.
HsaId = Annotated[str, StringConstraints(pattern=r"^SE[0-9]{10}-[A-Za-z0-9]{1,24}$")]
#: Two-digit administrative region code.
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
ComplaintKind = Literal["feedback", "complaint"]
PlaceKind = Literal["clinic", "board"]
HandledIn = Literal["staff_view", "own_system"]


class ComplaintEvent(ContractEvent):
    key_field: ClassVar[str] = "case_id"

    case_id: UUID


class ComplaintSubmitted(ComplaintEvent):
    """A resident sent feedback or a complaint; it is routed to one place."""

    event_type: ClassVar[str] = "careflow.complaint.submitted.v1"

    region_code: RegionCode
    kind: ComplaintKind
    place_hsa_id: HsaId = Field(description="The clinic or patient board that receives it.")
    place_kind: PlaceKind
    handled_in: HandledIn = Field(description="The one place the case is handled.")
    anonymous: bool
    answer_wanted: bool
    due_at: AwareDatetime
    submitted_at: AwareDatetime


class ComplaintRetargeted(ComplaintEvent):
    """The patient board named the right clinic; the case moved there."""

    event_type: ClassVar[str] = "careflow.complaint.retargeted.v1"

    region_code: RegionCode
    place_hsa_id: HsaId
    handled_in: HandledIn
    retargeted_at: AwareDatetime


class ComplaintDelivered(ComplaintEvent):
    """The clinic's own case-handling system accepted the case."""

    event_type: ClassVar[str] = "careflow.complaint.delivered.v1"

    place_hsa_id: HsaId
    attempts: int = Field(ge=1)
    delivered_at: AwareDatetime


class ComplaintAnswered(ComplaintEvent):
    """The case was answered, in the staff view or in the clinic's own system."""

    event_type: ClassVar[str] = "careflow.complaint.answered.v1"

    handled_in: HandledIn
    answered_at: AwareDatetime


COMPLAINT_EVENTS: tuple[type[ComplaintEvent], ...] = (
    ComplaintSubmitted,
    ComplaintRetargeted,
    ComplaintDelivered,
    ComplaintAnswered,
)
