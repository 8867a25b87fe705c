"""submit_form: a resident's (or guardian's) form becomes a case or a private record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from careflow.intake.application.actors import ResidentActor
from careflow.intake.application.case_changes import save_case
from careflow.intake.application.context import Intake
from careflow.intake.application.outgoing import resident_events
from careflow.intake.domain.case import Case
from careflow.intake.domain.forms import FormSubmission, Submitter, admit
from careflow.intake.domain.residents import Resident


@dataclass(frozen=True)
class Submitted:
    case_id: UUID
    private: bool
    identification: str
    call_emergency_number: bool


async def submit_form(
    intake: Intake, actor: ResidentActor, form: FormSubmission, results: dict[str, Any] | None
) -> Submitted:
    """Applies the submission rules and stores the case; publishes CaseSubmitted unless private."""
    now = intake.clock()
    who = Submitter(actor.resident_id, actor.identified, actor.children)
    admission = admit(form, who, intake.policy, now.date())
    case = Case.submit(form, admission, results, now)
    async with intake.uow() as uow:
        if admission.phone is not None and admission.identification == "identified":
            known = await uow.residents.get(admission.contact_id, lock=True)
            resident = known or Resident(admission.contact_id, communication_language=form.language)
            resident.note_phone(admission.phone, now)
            changes = resident.pull_events()
            if known is None or changes:  # the same number again changes nothing
                await uow.residents.save(resident)
            for event in resident_events(resident, changes):
                uow.outbox.add(event)
        # No release_parked: the case id was drawn just now, so nothing can be
        # parked for it (create_case and the sweeper cover the other arrivals).
        await save_case(uow, case)
        await uow.commit()
    return Submitted(case.id, case.private, case.identification, admission.call_emergency_number)
