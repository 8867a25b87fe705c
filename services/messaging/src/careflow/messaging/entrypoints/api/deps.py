"""Dependencies of the routes: the container, the caller as a Professional or a Resident."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from careflow.messaging.application.ports import Professional, Resident
from careflow.messaging.bootstrap import Container
from careflow.shared.auth.claims import ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.dependencies import require_professional, require_strong_resident


async def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Wiring = Annotated[Container, Depends(container)]


async def professional(
    principal: Annotated[ProfessionalPrincipal, Depends(require_professional())],
) -> Professional:
    return Professional(
        professional_id=principal.subject,
        organisation_id=principal.organisation,
        unit_id=principal.unit,
    )


async def resident(
    wiring: Wiring,
    principal: Annotated[ResidentPrincipal, Depends(require_strong_resident)],
) -> Resident:
    """Only a strongly authenticated resident has a case page (domain.md "Cases")."""
    ids = wiring.resident_ids
    return Resident(
        resident_id=ids.of(principal.subject),
        children=frozenset(ids.of(child.subject) for child in principal.guardian_of),
    )


CurrentProfessional = Annotated[Professional, Depends(professional)]
CurrentResident = Annotated[Resident, Depends(resident)]
