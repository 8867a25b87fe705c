"""Dependencies of the routes: the container and whose communication the caller may read."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from careflow.notification.bootstrap import Container
from careflow.shared.auth.claims import ResidentPrincipal
from careflow.shared.auth.dependencies import StrongResident
from careflow.shared.http.problems import Problem

#: A guardian acts for a child until the child turns 15 (domain.md "Actors and roles").
PROXY_AGE_LIMIT = 15


async def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Wiring = Annotated[Container, Depends(container)]


async def own_resident_id(principal: StrongResident, wiring: Wiring) -> UUID:
    return wiring.resident_ids.of(principal.subject)


async def readable_resident(resident_id: UUID, principal: StrongResident, wiring: Wiring) -> UUID:
    """The resident themself, or their guardian while the child is under 15; else 404."""
    ids = wiring.resident_ids
    if ids.of(principal.subject) == resident_id:
        return resident_id
    today = wiring.clock().date()
    if any(
        ids.of(child.subject) == resident_id and _age(child.birth_date, today) < PROXY_AGE_LIMIT
        for child in principal.guardian_of
    ):
        return resident_id
    # 404, not 403: whether someone else's history exists is not the caller's business.
    raise Problem(404, detail="No communication history found.")


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


OwnResidentId = Annotated[UUID, Depends(own_resident_id)]
ReadableResident = Annotated[UUID, Depends(readable_resident)]
__all__ = ["OwnResidentId", "ReadableResident", "ResidentPrincipal", "Wiring"]
