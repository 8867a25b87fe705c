"""Dependencies of the routes: the container and whose communication the caller may read."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from careflow.notification.application.history import ResidentReader
from careflow.notification.bootstrap import Container
from careflow.notification.domain.guardianship import Ward
from careflow.shared.auth.dependencies import StrongResident


async def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Wiring = Annotated[Container, Depends(container)]


async def own_resident_id(principal: StrongResident, wiring: Wiring) -> UUID:
    return wiring.resident_ids.of(principal.subject)


async def resident_reader(principal: StrongResident, wiring: Wiring) -> ResidentReader:
    """The caller and the children they guard, by pseudonym; the rule is the use case's."""
    ids = wiring.resident_ids
    return ResidentReader(
        ids.of(principal.subject),
        tuple(Ward(ids.of(child.subject), child.birth_date) for child in principal.guardian_of),
    )


OwnResidentId = Annotated[UUID, Depends(own_resident_id)]
Reader = Annotated[ResidentReader, Depends(resident_reader)]
__all__ = ["OwnResidentId", "Reader", "Wiring"]
