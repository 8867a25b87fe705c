"""What messaging learns of cases from intake's events (intake.cases.v1).

A private record is never published, so messaging never knows it: nobody can write on
it. The opening event says whose case it is, in which organisation and language, and
whether it is anonymous; closing proposals open and close the window in which the
resident may object by a message; a closing says whether it was without consent.
Events of one case arrive in order (one key, one partition); a follow-up of a case
opened before messaging existed is ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from careflow.contracts import cases as c
from careflow.messaging.application.ports import UnitOfWork
from careflow.messaging.domain.messages import CaseFacts

log = logging.getLogger(__name__)


async def on_case_opened(
    event: c.CaseSubmitted | c.CaseCreatedByProfessional, uow: UnitOfWork, now: datetime
) -> None:
    """A case opens: remember whose it is (a redelivery changes nothing)."""
    if await uow.cases.get(event.case_id) is not None:
        return
    await uow.cases.save(
        CaseFacts(
            case_id=event.case_id,
            resident_id=event.resident_id,
            organisation_id=event.organisation_id,
            unit_id=event.unit_id,
            language=event.language,
            identification=event.identification,
            proxy_contact=event.proxy_contact,
            guardian_id=getattr(event, "guardian_id", None),
            updated_at=now,
        )
    )


async def on_case_follow_up(event: c.CaseEvent, uow: UnitOfWork, now: datetime) -> None:
    """A proposal, objection, rejection or closing changes what may be written."""
    case = await uow.cases.get(event.case_id, for_update=True)
    if case is None:
        log.info("case event for a case messaging does not know", extra={"type": event.event_type})
        return
    match event:
        case c.ClosingProposed():
            updated = case.proposed(event.proposal_id, event.objection_deadline, now)
        case c.ClosingObjected() | c.ClosingProposalRejected():
            updated = case.proposal_settled(event.proposal_id, now)
        case c.CaseClosed():
            updated = case.closed(event.reason, event.closed_at)
        case _:
            return
    await uow.cases.save(updated)


#: The follow-ups messaging reacts to (other case events are not subscribed).
FOLLOW_UPS: tuple[type[c.CaseEvent], ...] = (
    c.ClosingProposed,
    c.ClosingObjected,
    c.ClosingProposalRejected,
    c.CaseClosed,
)
