"""Domain changes as contract events (ids, codes and times; never what was written)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from careflow.complaints.domain.cases import Case
from careflow.contracts.complaints import (
    ComplaintAnswered,
    ComplaintDelivered,
    ComplaintRetargeted,
    ComplaintSubmitted,
)
from careflow.contracts.notifications import NotificationRequested

SOURCE = "complaints"


def submitted(case: Case) -> ComplaintSubmitted:
    return ComplaintSubmitted(
        case_id=case.case_id,
        region_code=case.region_code,
        kind=case.kind.value,
        place_hsa_id=case.place_hsa_id,
        place_kind=case.place_kind.value,
        handled_in=case.handled_in.value,
        anonymous=case.anonymous,
        answer_wanted=case.answer_channel is not None,
        due_at=case.due_at,
        submitted_at=case.submitted_at,
    )


def retargeted(case: Case, at: datetime) -> ComplaintRetargeted:
    return ComplaintRetargeted(
        case_id=case.case_id,
        region_code=case.region_code,
        place_hsa_id=case.place_hsa_id,
        handled_in=case.handled_in.value,
        retargeted_at=at,
    )


def delivered(case_id: UUID, place_hsa_id: str, attempts: int, at: datetime) -> ComplaintDelivered:
    return ComplaintDelivered(
        case_id=case_id, place_hsa_id=place_hsa_id, attempts=attempts, delivered_at=at
    )


def answered(case: Case) -> ComplaintAnswered:
    assert case.answered_at is not None
    return ComplaintAnswered(
        case_id=case.case_id, handled_in=case.handled_in.value, answered_at=case.answered_at
    )


def answer_notification(resident_id: UUID, at: datetime) -> NotificationRequested:
    """'Something new waits for you' in the resident's own language and channels; the
    answer itself is read after login, never sent."""
    return NotificationRequested(
        notification_id=uuid4(),
        requested_by=SOURCE,
        requested_at=at,
        resident_id=resident_id,
        purpose="new_content",
        channels=["email", "sms"],
        link_target="front_page",
    )
