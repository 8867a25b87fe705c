"""Dependencies of the routes: the container, and who the caller is in complaints' terms."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from careflow.complaints.bootstrap import Container
from careflow.complaints.domain.access import (
    ADDRESSING_ADMIN,
    HANDLER,
    LOCAL_ADMIN,
    PLATFORM_SUPPORT,
    RECEIVER,
    REGIONAL_ADMIN,
    Staff,
)
from careflow.complaints.domain.errors import NotAllowed
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.dependencies import require_professional


async def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Wiring = Annotated[Container, Depends(container)]

Support = Annotated[ProfessionalPrincipal, Depends(require_professional(roles={PLATFORM_SUPPORT}))]
RegionalAdmin = Annotated[
    ProfessionalPrincipal, Depends(require_professional(roles={REGIONAL_ADMIN}))
]
AddressingAdmin = Annotated[
    ProfessionalPrincipal, Depends(require_professional(roles={ADDRESSING_ADMIN}))
]


async def staff_member(
    principal: Annotated[
        ProfessionalPrincipal,
        Depends(require_professional(roles={RECEIVER, HANDLER, LOCAL_ADMIN})),
    ],
) -> Staff:
    """The token's organisation is the region code, its unit the HSA-id of the clinic or
    patient board the professional works at."""
    return Staff(
        subject=principal.subject,
        region_code=principal.organisation,
        place_hsa_id=principal.unit,
        roles=frozenset(principal.roles),
    )


StaffMember = Annotated[Staff, Depends(staff_member)]


def require_own_region(admin: ProfessionalPrincipal, region_code: str) -> None:
    """A regional admin administers their own region (the token's organisation) only."""
    if admin.organisation != region_code:
        raise NotAllowed("Regional admins administer their own region only.")
