"""Reactions to intake's case openings: remember which organisation each case belongs to."""

from __future__ import annotations

from careflow.contracts.cases import CaseCreatedByProfessional, CaseSubmitted
from careflow.notification.application.context import Notifier
from careflow.notification.application.ports import UnitOfWork


async def on_case_opened(
    event: CaseSubmitted | CaseCreatedByProfessional,
    uow: UnitOfWork,
    notifier: Notifier,
) -> None:
    """Its professionals may read the notifications about this case (and audited)."""
    opened_at = event.submitted_at if isinstance(event, CaseSubmitted) else event.created_at
    await uow.cases.add(
        case_id=event.case_id,
        resident_id=event.resident_id,
        organisation_id=event.organisation_id,
        opened_at=opened_at,
    )
