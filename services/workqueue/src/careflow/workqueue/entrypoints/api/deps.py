"""Dependencies of the routes: the container, the calling professional as an Actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.dependencies import require_professional
from careflow.workqueue.application.ports import Actor
from careflow.workqueue.bootstrap import Container

ADMIN_ROLE = "admin"


async def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


async def actor(
    principal: Annotated[ProfessionalPrincipal, Depends(require_professional())],
) -> Actor:
    return Actor(
        professional_id=principal.subject,
        organisation_id=principal.organisation,
        is_admin=principal.has_role(ADMIN_ROLE),
    )


Wiring = Annotated[Container, Depends(container)]
CurrentActor = Annotated[Actor, Depends(actor)]
