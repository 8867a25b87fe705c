"""Reactions to intake's case openings: remember which organisation each case belongs to."""

from __future__ import annotations

from careflow.contracts.cases import CaseCreatedByProfessional, CaseSubmitted
from careflow.notification.application.context import Notifier
from careflow.notification.application.notify import suppress_parked_of_anonymous_case
from careflow.notification.application.ports import UnitOfWork


async def on_case_opened(
    event: CaseSubmitted | CaseCreatedByProfessional,
    uow: UnitOfWork,
    notifier: Notifier,
) -> None:
    """Its professionals may read the notifications about this case (and audited); its
    later notifications reach whom the opening names (domain/addressing.py)."""
    if isinstance(event, CaseSubmitted):
        opened_at, guardian_id = event.submitted_at, event.guardian_id
    else:
        opened_at, guardian_id = event.created_at, None
    anonymous = event.identification == "anonymous"
    await uow.cases.add(
        case_id=event.case_id,
        resident_id=event.resident_id,
        organisation_id=event.organisation_id,
        opened_at=opened_at,
        anonymous=anonymous,
        guardian_id=guardian_id,
    )
    if anonymous:
        # A notification about this case that arrived first (another topic, e.g. the
        # work queue's "incomplete") waits for contact data that will never come.
        await suppress_parked_of_anonymous_case(event.resident_id, event.case_id, uow, notifier)
