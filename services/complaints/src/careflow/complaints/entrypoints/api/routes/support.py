"""Platform support: onboarding regions and setting their patient board.

Kept out of the regional admin API on purpose: the board is set only by support
(domain.md), and setting it opens the service to the region's residents.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from careflow.complaints.application.regions import create_region, set_patient_board
from careflow.complaints.domain.identifiers import REGION_CODE_PATTERN
from careflow.complaints.domain.regions import PatientBoard
from careflow.complaints.entrypoints.api.deps import Support, Wiring
from careflow.complaints.entrypoints.api.schemas import BoardIn, RegionIn, RegionOut

router = APIRouter(prefix="/support", tags=["platform support"])
RegionPath = Annotated[str, Path(pattern=REGION_CODE_PATTERN)]


@router.put("/regions/{region_code}", response_model=RegionOut)
async def put_region(
    region_code: RegionPath, body: RegionIn, _: Support, wiring: Wiring
) -> RegionOut:
    """Onboards (or renames) a region; it stays closed to residents until its board is set."""
    return RegionOut.of(await create_region(wiring.context, region_code, body.name))


@router.put("/regions/{region_code}/patient-board", response_model=RegionOut)
async def put_patient_board(
    region_code: RegionPath, body: BoardIn, support: Support, wiring: Wiring
) -> RegionOut:
    """Sets the region's one patient board: the last onboarding step, which opens the
    service to the region's residents."""
    board = PatientBoard(body.hsa_id, body.name)
    region = await set_patient_board(wiring.context, region_code, board, support.subject)
    return RegionOut.of(region)
