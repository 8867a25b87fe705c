"""Dependencies of the routes: the container, the calling professional as an Actor."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from careflow.reminders.application.ports import Actor
from careflow.reminders.bootstrap import Container
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.dependencies import StrongResident, require_professional

ADMIN_ROLE = "admin"


async def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Wiring = Annotated[Container, Depends(container)]


async def actor(
    principal: Annotated[ProfessionalPrincipal, Depends(require_professional())],
) -> Actor:
    return Actor(
        professional_id=principal.subject,
        organisation_id=principal.organisation,
        unit_id=principal.unit,
        is_admin=principal.has_role(ADMIN_ROLE),
    )


async def own_resident_id(principal: StrongResident, wiring: Wiring) -> UUID:
    return wiring.resident_ids.of(principal.subject)


CurrentActor = Annotated[Actor, Depends(actor)]
OwnResidentId = Annotated[UUID, Depends(own_resident_id)]
