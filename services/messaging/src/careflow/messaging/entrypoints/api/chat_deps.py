"""Dependencies of the chat routes: the container's chat wiring and who the caller is."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request

from careflow.messaging.application.channels import Staff
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.dependencies import Professional, Resident


async def chat_container(request: Request) -> Any:
    return request.app.state.container


ChatWiring = Annotated[Any, Depends(chat_container)]


def staff_of(principal: ProfessionalPrincipal) -> Staff:
    return Staff(
        principal.subject, principal.organisation, frozenset(principal.roles), principal.unit
    )


async def calling_staff(principal: Professional) -> Staff:
    return staff_of(principal)


async def calling_resident_id(principal: Resident, wiring: ChatWiring) -> UUID:
    return wiring.resident_ids.of(principal.subject)  # type: ignore[no-any-return]


CallingStaff = Annotated[Staff, Depends(calling_staff)]
CallingResidentId = Annotated[UUID, Depends(calling_resident_id)]
