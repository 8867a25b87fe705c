"""create_case: a professional creates a case for a resident of their organisation."""

from __future__ import annotations

from uuid import UUID

from careflow.intake.application.actors import ProfessionalActor
from careflow.intake.application.case_changes import save_case
from careflow.intake.application.context import Intake
from careflow.intake.application.on_queue_events import release_parked
from careflow.intake.domain.case import Case


async def create_case(
    intake: Intake,
    actor: ProfessionalActor,
    *,
    resident_id: UUID,
    kind: str,
    language: str,
    group_id: str | None,
) -> UUID:
    """Creates the case in the professional's organisation and unit; CaseCreatedByProfessional."""
    case = Case.create_for_resident(
        resident_id=resident_id,
        kind=kind,
        language=language,
        professional_id=actor.subject,
        organisation_id=actor.organisation,
        unit_id=actor.unit,
        group_id=group_id,
        now=intake.clock(),
    )
    async with intake.uow() as uow:
        await release_parked(uow, case, intake.parking_metrics)
        await save_case(uow, case)
        await uow.commit()
    return case.id
