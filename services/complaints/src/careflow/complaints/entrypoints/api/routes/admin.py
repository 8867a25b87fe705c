"""The regional admin API: the region's state and its clinics (one by one or from a file)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from careflow.complaints.application.clinics import (
    add_clinic,
    import_clinics,
    region_clinics,
    remove_clinic,
)
from careflow.complaints.application.regions import region_overview
from careflow.complaints.domain.identifiers import HSA_ID_PATTERN, REGION_CODE_PATTERN
from careflow.complaints.entrypoints.api.deps import RegionalAdmin, Wiring, require_own_region
from careflow.complaints.entrypoints.api.schemas import (
    ClinicIn,
    ClinicOut,
    ImportIn,
    ImportOut,
    RegionOut,
)

router = APIRouter(prefix="/admin/regions/{region_code}", tags=["regional admin"])
RegionPath = Annotated[str, Path(pattern=REGION_CODE_PATTERN)]
HsaPath = Annotated[str, Path(pattern=HSA_ID_PATTERN)]


@router.get("", response_model=RegionOut)
async def get_region(region_code: RegionPath, admin: RegionalAdmin, wiring: Wiring) -> RegionOut:
    """The region, its patient board (read only here) and, while none is set, why
    residents cannot send cases yet."""
    require_own_region(admin, region_code)
    overview = await region_overview(wiring.context, region_code)
    return RegionOut.of(overview.region, overview.clinics)


@router.get("/clinics", response_model=list[ClinicOut])
async def list_clinics(
    region_code: RegionPath,
    admin: RegionalAdmin,
    wiring: Wiring,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ClinicOut]:
    """The region's clinics, by name."""
    require_own_region(admin, region_code)
    return [ClinicOut.of(c) for c in await region_clinics(wiring.context, region_code, q, limit)]


@router.post("/clinics", response_model=ClinicOut, status_code=201)
async def post_clinic(
    region_code: RegionPath, body: ClinicIn, admin: RegionalAdmin, wiring: Wiring
) -> ClinicOut:
    """Adds one clinic by HSA-id: it must be activated in the e-services directory, and
    the directory's region code must be this region's (422 otherwise)."""
    require_own_region(admin, region_code)
    return ClinicOut.of(await add_clinic(wiring.context, region_code, body.hsa_id, admin.subject))


@router.delete("/clinics/{hsa_id}", status_code=204, response_class=Response)
async def delete_clinic(
    region_code: RegionPath, hsa_id: HsaPath, admin: RegionalAdmin, wiring: Wiring
) -> Response:
    """Removes a clinic from the service (residents can no longer choose it)."""
    require_own_region(admin, region_code)
    await remove_clinic(wiring.context, region_code, hsa_id)
    return Response(status_code=204)


@router.post("/clinic-imports", response_model=ImportOut)
async def post_import(
    region_code: RegionPath, body: ImportIn, admin: RegionalAdmin, wiring: Wiring
) -> ImportOut:
    """Judges every row of a txt or csv file (valid, already_added, malformed, duplicate,
    unknown_hsa_id, not_activated, other_region); with `apply`, adds the valid rows and
    nothing else. A second run of the same file changes nothing."""
    require_own_region(admin, region_code)
    report = await import_clinics(
        wiring.context, region_code, body.content, body.format, apply=body.apply, by=admin.subject
    )
    return ImportOut.of(report)
