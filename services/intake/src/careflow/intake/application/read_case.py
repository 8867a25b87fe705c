"""read_case, list_my_cases, query_audit: reads; a professional's read is audited."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from careflow.intake.application.actors import ProfessionalActor, ResidentActor
from careflow.intake.application.case_changes import Actor, may_access
from careflow.intake.application.context import Intake
from careflow.intake.domain.access import customer_information
from careflow.intake.domain.case import Case
from careflow.intake.domain.errors import NotFound
from careflow.intake.domain.forms import may_act_for_child
from careflow.intake.domain.residents import Resident
from careflow.shared.audit import AuditPage, AuditQuery, Purpose, page_of

#: The most bookings and other open cases one case page lists (the latest; the page says
#: how many there are in all). A long coaching or a resident with years of cases can
#: have hundreds, and the case page is read on every opening: it must stay small and
#: quick whatever the history. 20 is more than a professional takes in at a glance.
MAX_LISTED = 20


async def read_case(intake: Intake, actor: Actor, case_id: UUID) -> dict[str, Any]:
    """The case page with every section; a professional's read writes an audit record."""
    async with intake.uow() as uow:
        now = intake.clock()
        case = await uow.cases.get(case_id)
        if case is None or not may_access(case, actor, now):
            raise NotFound("no such case")
        resident = await uow.residents.get(case.contact_id)
        view = _view(case, resident, await uow.cases.latest_events(case.id))
        # Bookings stay valid after closing; only the case's own organisation's count.
        view["bookings"], view["bookings_total"] = await uow.bookings.of_case(
            case.id, case.organisation_id, limit=MAX_LISTED
        )
        if isinstance(actor, ProfessionalActor):
            (
                view["other_open_cases"],
                view["other_open_cases_total"],
            ) = await uow.cases.open_cases_of(
                case.resident_id, actor.organisation, besides=case.id, limit=MAX_LISTED
            )
            # Audited in the same transaction as the read: no read without its record.
            await uow.audit.record(
                at=now,
                professional_id=actor.subject,
                organisation_id=actor.organisation,
                unit_id=actor.unit,
                resident_id=case.resident_id,
                case_id=case.id,
                action="read_case",
                purpose=Purpose.CARE,
            )
            await uow.commit()
    return view


def _view(case: Case, resident: Resident | None, latest: list[dict[str, Any]]) -> dict[str, Any]:
    closing = case.closing
    return {
        "id": case.id,
        "resident_id": case.resident_id,
        "organisation_id": case.organisation_id,
        "kind": case.kind,
        "origin": case.origin,
        "identification": case.identification,
        "proxy_contact": case.proxy_contact,
        "language": case.language,
        "urgency": case.urgency,
        # Which rule set computed the class, so anyone can recompute it from the results.
        "urgency_rules": case.urgency_rules,
        "urgency_basis": list(case.urgency_basis),
        # P0: the resident was told at once to call 112; the case never waited in a queue.
        "call_emergency_number": case.call_emergency_number,
        "private": case.private,
        "created_at": case.created_at,
        "taken_by": case.taken_by,
        "status": "closed" if closing else "open",
        "summary": {
            "latest_events": latest,
            "results": case.results,
            "professional_summary": case.summary,
        },
        "goals": [asdict(g) for g in case.goals],
        "tasks": [asdict(t) for t in case.tasks],
        "coachings": [asdict(c) for c in case.coachings],
        "closing": {
            "pending_proposal": asdict(p) if (p := case.pending_proposal) else None,
            "closes_at": case.closes_at,
            "closed": asdict(closing) if closing else None,
            # False once closed (without consent: no accepting, objecting or replying).
            "resident_may_answer": case.resident_may_answer,
        },
        "customer_information": asdict(customer_information(case, resident)),
    }


async def list_my_cases(
    intake: Intake, actor: ResidentActor, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the resident's identified cases and their children's (under 15), newest
    first, with how many there are in all."""
    today = intake.clock().date()
    ids = [actor.resident_id] + [
        child for child in actor.children if may_act_for_child(actor.children, child, today)
    ]
    async with intake.uow() as uow:
        return await uow.cases.of_residents(ids, limit=limit, offset=offset)


async def query_audit(
    intake: Intake,
    actor: ProfessionalActor,
    query: AuditQuery,
    *,
    resident_id: UUID | None = None,
    case_id: UUID | None = None,
    professional_id: str | None = None,
) -> AuditPage:
    """One page of the audit records of the auditor's organisation, newest first.

    Not itself audited: the records show pseudonymous ids, never a resident's
    name, contact or case content (careflow.shared.audit).
    """
    async with intake.uow() as uow:
        records = await uow.audit.page(
            actor.organisation,
            query,
            resident_id=resident_id,
            case_id=case_id,
            professional_id=professional_id,
        )
    return page_of(records, query)
