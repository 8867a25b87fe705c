"""submit_form: a resident's (or guardian's) form becomes a case or a private record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from opentelemetry import metrics

from careflow.intake.application.actors import ResidentActor
from careflow.intake.application.context import Intake
from careflow.intake.application.outgoing import case_events, resident_events
from careflow.intake.application.ports import ExpectationFailed, UnitOfWork
from careflow.intake.application.publishing import publish
from careflow.intake.domain.case import Case
from careflow.intake.domain.events import DomainEvent
from careflow.intake.domain.forms import FormSubmission, Submitter, admit, check_answers
from careflow.intake.domain.residents import Resident

_meter = metrics.get_meter("careflow.intake")
URGENCY_OVERRULED = _meter.create_counter(
    "intake.urgency_claims_overruled",
    description="Symptom assessments whose client-sent urgency differed from the computed one "
    "(stale apps or attempts to raise a priority); the claim was ignored.",
)


@dataclass(frozen=True)
class Submitted:
    case_id: UUID
    private: bool
    identification: str
    call_emergency_number: bool
    urgency: str | None = None
    urgency_rules: str | None = None


async def submit_form(
    intake: Intake, actor: ResidentActor, form: FormSubmission, results: dict[str, Any] | None
) -> Submitted:
    """Applies the submission rules and stores the case; publishes CaseSubmitted unless private."""
    check_answers(results, intake.policy.answers)
    now = intake.clock()
    who = Submitter(actor.resident_id, actor.identified, actor.children)
    admission = admit(form, who, intake.policy, now.date())
    case = Case.submit(form, admission, results, now)
    if admission.claimed_urgency_overruled:
        # The rule-set version only: the class or the answers would be health data.
        URGENCY_OVERRULED.add(1, {"urgency_rules": admission.urgency_rules or ""})
    events = case.pull_events()
    phone = admission.phone if admission.identification == "identified" else None
    if phone is None:
        async with intake.uow() as uow:
            await _save(uow, case, events)
            await uow.commit()
    elif not await _saved_if_number_on_file(intake, admission.contact_id, phone, case, events):
        # A new number, none on file, or no resident yet: noted under the resident's lock,
        # decided again on what the lock shows, with the case.
        async with intake.uow() as uow:
            await _note_phone(uow, admission.contact_id, phone, form.language, now)
            await _save(uow, case, events)
            await uow.commit()
    return Submitted(
        case.id,
        case.private,
        case.identification,
        admission.call_emergency_number,
        case.urgency,
        case.urgency_rules,
    )


async def _saved_if_number_on_file(
    intake: Intake, resident_id: UUID, phone: str, case: Case, events: Sequence[DomainEvent]
) -> bool:
    """Saves the case unless the resident's number on file is not `phone` (then nothing).

    Most forms bring the number already on file, which changes nothing: the case goes in
    the commit's one statement, which checks that, with no read before it and no
    transaction around it."""
    try:
        async with intake.uow() as uow:
            uow.residents.expect_phone(resident_id, phone)
            await _save(uow, case, events)
            await uow.commit()
    except ExpectationFailed:
        return False
    return True


async def _save(uow: UnitOfWork, case: Case, events: Sequence[DomainEvent]) -> None:
    # No release_parked: the case id was drawn just now, so nothing can be parked for
    # it (create_case and the sweeper cover the other arrivals).
    await uow.cases.save(case, events)
    publish(uow, case_events(case, events))


async def _note_phone(
    uow: UnitOfWork, resident_id: UUID, phone: str, language: str, now: datetime
) -> None:
    known = await uow.residents.get(resident_id, lock=True)
    resident = known or Resident(resident_id, communication_language=language)
    resident.note_phone(phone, now)
    changes = resident.pull_events()
    if known is None or changes:  # the same number again changes nothing
        await uow.residents.save(resident)
    publish(uow, resident_events(resident, changes))
