"""Domain events → contract events. Ids, codes, dates and flags only: never text or answers."""

from __future__ import annotations

from collections.abc import Iterator

from careflow.contracts import cases as c
from careflow.contracts import residents as r
from careflow.contracts.base import ContractEvent
from careflow.intake.domain import events as ev
from careflow.intake.domain.case import Case
from careflow.intake.domain.residents import (
    ConsentsGiven,
    ConsentsWithdrawn,
    ContactUpdated,
    Resident,
    ResidentEvent,
)


def case_events(case: Case, events: list[ev.DomainEvent]) -> Iterator[ContractEvent]:
    """Contract events of a case; a private record publishes nothing."""
    if case.private:
        return
    ids = {"case_id": case.id, "resident_id": case.resident_id}
    for e in events:
        match e:
            case ev.CaseOpened():
                yield c.CaseSubmitted(
                    **ids,
                    organisation_id=case.organisation_id,
                    unit_id=case.unit_id,
                    group_id=case.group_id,
                    form_kind=case.kind,  # type: ignore[arg-type]
                    identification=case.identification,
                    proxy_contact=case.proxy_contact,
                    guardian_id=case.guardian_id,
                    language=case.language,  # type: ignore[arg-type]
                    urgency=case.urgency,  # type: ignore[arg-type]
                    urgency_rules=case.urgency_rules,
                    call_emergency_number=case.call_emergency_number,
                    phone_contact_allowed=case.phone_contact_allowed,
                    submitted_at=e.at,
                )
            case ev.CaseCreated():
                yield c.CaseCreatedByProfessional(
                    **ids,
                    organisation_id=case.organisation_id,
                    unit_id=case.unit_id,
                    group_id=case.group_id,
                    kind=case.kind,  # type: ignore[arg-type]
                    created_by=e.professional_id,
                    proxy_contact=case.proxy_contact,
                    language=case.language,  # type: ignore[arg-type]
                    created_at=e.at,
                )
            case ev.ClosingWasProposed():
                yield c.ClosingProposed(
                    **ids,
                    proposal_id=e.proposal_id,
                    proposed_by=e.proposed_by,
                    professional_id=e.professional_id,
                    proposed_at=e.at,
                    objection_deadline=e.deadline,
                )
            case ev.ClosingWasObjected():
                yield c.ClosingObjected(
                    **ids, proposal_id=e.proposal_id, message_id=e.message_id, objected_at=e.at
                )
            case ev.ClosingProposalWasRejected():
                yield c.ClosingProposalRejected(
                    **ids,
                    proposal_id=e.proposal_id,
                    rejected_by=e.professional_id,
                    rejected_at=e.at,
                )
            case ev.CaseWasClosed():
                yield c.CaseClosed(
                    **ids,
                    reason=e.reason,  # type: ignore[arg-type]
                    closed_by=e.closed_by,
                    professional_id=e.professional_id,
                    proposal_id=e.proposal_id,
                    closed_at=e.at,
                )
            case ev.TaskWasAssigned():
                yield c.TaskAssigned(
                    **ids,
                    task_id=e.task_id,
                    task_kind=e.task_kind,
                    assigned_by=e.professional_id,
                    start_date=e.start_date,
                    latest_date=e.latest_date,
                    assigned_at=e.at,
                )
            case ev.QuestionnaireWasFilled():
                yield c.QuestionnaireFilled(**ids, task_id=e.task_id, filled_at=e.at)
            case ev.GoalWasSet():
                yield c.GoalSet(
                    **ids,
                    goal_id=e.goal_id,
                    set_by=e.set_by,
                    professional_id=e.professional_id,
                    set_at=e.at,
                )
            case ev.GoalWasEdited():
                yield c.GoalEdited(
                    **ids,
                    goal_id=e.goal_id,
                    edited_by=e.edited_by,
                    professional_id=e.professional_id,
                    edited_at=e.at,
                )
            case ev.CoachingWasAttached():
                yield c.CoachingAttached(
                    **ids,
                    coaching_id=e.coaching_id,
                    attached_by=e.professional_id,
                    attached_at=e.at,
                )
            case ev.CoachingWasEnded():
                yield c.CoachingEnded(
                    **ids, coaching_id=e.coaching_id, reason=e.reason, ended_at=e.at
                )
            case _:
                # Taken and summary changes stay inside intake (workqueue owns "taken").
                continue


def resident_events(resident: Resident, events: list[ResidentEvent]) -> Iterator[ContractEvent]:
    for e in events:
        if isinstance(e, ConsentsWithdrawn):
            yield r.ServiceConsentsWithdrawn(resident_id=resident.id, withdrawn_at=e.at)
        if isinstance(e, ConsentsGiven):
            yield r.ServiceConsentsGiven(resident_id=resident.id, given_at=e.at)
        yield r.ResidentContactUpdated(
            resident_id=resident.id,
            anonymous=False,
            email_notifications=resident.email_notifications,
            sms_notifications=resident.sms_notifications,
            phone_contact_allowed=resident.phone_permission,
            communication_language=resident.communication_language,  # type: ignore[arg-type]
            has_email=resident.email is not None,
            has_phone=resident.phone is not None,
            service_consents=resident.service_consents,
            updated_at=e.at,
        )
        if isinstance(e, ContactUpdated) and e.name_changed:
            # Its own restricted topic: only the work queue (its sort order) reads names.
            yield r.ResidentNameChanged(
                resident_id=resident.id, name=resident.name, changed_at=e.at
            )
        if isinstance(e, ContactUpdated) and e.details_changed:
            yield r.ResidentContactDetailsChanged(
                resident_id=resident.id,
                email=resident.email,
                phone=resident.phone,
                communication_language=resident.communication_language,  # type: ignore[arg-type]
                changed_at=e.at,
            )
