"""Regions and patient boards (platform support) and what the regional admin sees."""

from __future__ import annotations

from dataclasses import dataclass

from careflow.complaints.application.context import Context
from careflow.complaints.domain.errors import NotFound, Refused
from careflow.complaints.domain.regions import PatientBoard, Region


@dataclass(frozen=True)
class RegionOverview:
    region: Region
    clinics: int


async def create_region(ctx: Context, code: str, name: str) -> Region:
    """Onboards a region (or renames it); closed to residents until its board is set."""
    async with ctx.uow() as uow:
        await uow.regions.put(code, name)
        region = await uow.regions.get(code)
        await uow.commit()
    assert region is not None
    return region


async def set_patient_board(ctx: Context, code: str, board: PatientBoard, by: str) -> Region:
    """Sets the region's one patient board, which opens the service to its residents."""
    async with ctx.uow() as uow:
        if await uow.regions.get(code) is None:
            raise NotFound("No such region.")
        clinic = await uow.clinics.get(board.hsa_id)
        if clinic is not None:
            raise Refused("This HSA-id is one of the region's clinics, not a patient board.")
        await uow.regions.set_board(code, board, ctx.clock(), by)
        region = await uow.regions.get(code)
        await uow.commit()
    assert region is not None
    return region


async def region_overview(ctx: Context, code: str) -> RegionOverview:
    async with ctx.uow() as uow:
        region = await uow.regions.get(code)
        if region is None:
            raise NotFound("No such region.")
        return RegionOverview(region, len(await uow.clinics.ids_in(code)))


async def open_region(ctx: Context, code: str) -> Region:
    """The region as residents see it (open or closed, and why)."""
    async with ctx.uow() as uow:
        region = await uow.regions.get(code)
    if region is None:
        raise NotFound("No such region.")
    return region
