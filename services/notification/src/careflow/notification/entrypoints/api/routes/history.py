"""The resident's communication history ("Kommunikation" tab)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from careflow.notification.application.history import communication_history
from careflow.notification.entrypoints.api.deps import OwnResidentId, ReadableResident, Wiring
from careflow.notification.entrypoints.api.schemas import HistoryOut, NotificationOut

router = APIRouter(tags=["communication history"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/me/communications", response_model=HistoryOut)
async def my_history(resident_id: OwnResidentId, wiring: Wiring, limit: Limit = 100) -> HistoryOut:
    """Every notification sent or suppressed for the calling resident, newest first."""
    return await _history(resident_id, wiring, limit)


@router.get("/residents/{resident_id}/communications", response_model=HistoryOut)
async def resident_history(
    resident_id: ReadableResident, wiring: Wiring, limit: Limit = 100
) -> HistoryOut:
    """A resident's history: the resident themself or their guardian (child under 15)."""
    return await _history(resident_id, wiring, limit)


async def _history(resident_id: UUID, wiring: Wiring, limit: int) -> HistoryOut:
    items = await communication_history(resident_id, wiring.uow, limit)
    return HistoryOut(
        resident_id=resident_id, items=[NotificationOut.model_validate(i) for i in items]
    )
