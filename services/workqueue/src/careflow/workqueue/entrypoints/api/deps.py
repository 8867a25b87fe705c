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


#: Who may read the audit log: the same roles in every CareFlow service.
AUDIT_ROLES = frozenset({ADMIN_ROLE, "auditor"})


async def auditor_actor(
    principal: Annotated[ProfessionalPrincipal, Depends(require_professional(AUDIT_ROLES))],
) -> Actor:
    return Actor(
        principal.subject,
        principal.organisation,
        is_admin=principal.has_role(ADMIN_ROLE),
        may_read_audit=True,
    )


Wiring = Annotated[Container, Depends(container)]
CurrentActor = Annotated[Actor, Depends(actor)]
Auditor = Annotated[Actor, Depends(auditor_actor)]
