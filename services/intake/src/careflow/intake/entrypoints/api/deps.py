"""Request → use-case inputs: the container from app state, and tokens → actors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from careflow.intake.application.actors import ProfessionalActor, ResidentActor
from careflow.intake.application.context import Intake
from careflow.intake.bootstrap import Container
from careflow.shared.audit.dependencies import Auditor as SharedAuditor
from careflow.shared.auth.claims import AuthLevel, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.dependencies import (
    BearerCredentials,
    Professional,
    StrongResident,
    current_principal,
    require_resident,
)
from careflow.shared.auth.pseudonyms import ResidentIds


async def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Wiring = Annotated[Container, Depends(container)]


async def intake_of(wiring: Wiring) -> Intake:
    return wiring.intake


IntakeDep = Annotated[Intake, Depends(intake_of)]


async def resident_ids(wiring: Wiring) -> ResidentIds:
    return wiring.resident_ids


Pseudonyms = Annotated[ResidentIds, Depends(resident_ids)]


def resident_actor(ids: ResidentIds, principal: ResidentPrincipal) -> ResidentActor:
    if principal.auth_level is not AuthLevel.STRONG:
        # An anonymous sender is a fresh pseudonym per submission: nothing links
        # their forms, and no case can be opened with it later.
        return ResidentActor(resident_id=uuid.uuid4(), identified=False)
    return ResidentActor(
        resident_id=ids.of(principal.subject),
        identified=True,
        children={ids.of(child.subject): child.birth_date for child in principal.guardian_of},
    )


def professional_actor(principal: ProfessionalPrincipal) -> ProfessionalActor:
    return ProfessionalActor(
        subject=principal.subject,
        organisation=principal.organisation,
        unit=principal.unit,
        roles=frozenset(principal.roles),
    )


@dataclass(frozen=True, slots=True)
class FormSubmitter:
    """What POST /forms needs (the container's intake and pseudonyms, the sender), from
    one dependency: FastAPI solves every dependency layer afresh per request, and the
    seven layers this replaces (container, intake, pseudonyms, any resident, resident,
    principal, bearer) were about a sixth of the route's CPU."""

    intake: Intake
    ids: ResidentIds
    sender: ResidentActor


async def _form_submitter(request: Request, credentials: BearerCredentials) -> FormSubmitter:
    # The checks of the layers it replaces, in their order: a valid token, then a resident's.
    principal = await require_resident(await current_principal(request, credentials))
    wiring: Container = request.app.state.container
    ids = wiring.resident_ids
    return FormSubmitter(wiring.intake, ids, resident_actor(ids, principal))


async def _identified_resident(ids: Pseudonyms, principal: StrongResident) -> ResidentActor:
    return resident_actor(ids, principal)


async def _professional(principal: Professional) -> ProfessionalActor:
    return professional_actor(principal)


async def _auditor(principal: SharedAuditor) -> ProfessionalActor:
    return professional_actor(principal)


FormSubmitterDep = Annotated[FormSubmitter, Depends(_form_submitter)]
IdentifiedResident = Annotated[ResidentActor, Depends(_identified_resident)]
ProfessionalUser = Annotated[ProfessionalActor, Depends(_professional)]
Auditor = Annotated[ProfessionalActor, Depends(_auditor)]
