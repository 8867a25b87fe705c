"""Residents: is my region open, which clinics can I choose, send feedback or a complaint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from careflow.complaints.application.clinics import region_clinics
from careflow.complaints.application.regions import open_region
from careflow.complaints.application.submit import my_cases, submit_complaint
from careflow.complaints.domain.cases import Submission
from careflow.complaints.domain.errors import NotAllowed
from careflow.complaints.domain.identifiers import REGION_CODE_PATTERN
from careflow.complaints.entrypoints.api.deps import Wiring
from careflow.complaints.entrypoints.api.schemas import (
    CaseOut,
    CasesOut,
    ClinicOut,
    ComplaintIn,
    RegionOut,
)
from careflow.shared.auth.claims import AuthLevel
from careflow.shared.auth.dependencies import Resident, StrongResident

router = APIRouter(tags=["residents"])
RegionPath = Annotated[str, Path(pattern=REGION_CODE_PATTERN)]


@router.get("/regions/{region_code}", response_model=RegionOut)
async def region(region_code: RegionPath, _: Resident, wiring: Wiring) -> RegionOut:
    """Whether residents of the region can send cases and, if not, why."""
    return RegionOut.of(await open_region(wiring.context, region_code))


@router.get("/regions/{region_code}/clinics", response_model=list[ClinicOut])
async def search_clinics(
    region_code: RegionPath,
    _: Resident,
    wiring: Wiring,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ClinicOut]:
    """Clinics of an open region whose name or HSA-id contains `q`."""
    (await open_region(wiring.context, region_code)).require_open()
    return [ClinicOut.of(c) for c in await region_clinics(wiring.context, region_code, q, limit)]


@router.post("/complaints", response_model=CaseOut, status_code=201)
async def submit(body: ComplaintIn, resident: Resident, wiring: Wiring) -> CaseOut:
    """Sends feedback or a complaint to a clinic of the region, or to its patient board.

    Refused (409, with the reason) while the region has no patient board. Anonymous
    cases get no answer; residents logged in anonymously can only send those."""
    if resident.auth_level is not AuthLevel.STRONG and not body.anonymous:
        raise NotAllowed("Without strong authentication only anonymous cases can be sent.")
    birth_date = None
    if body.for_child is not None:
        child = next((c for c in resident.guardian_of if c.subject == body.for_child), None)
        if child is None:
            raise NotAllowed("The caller is not this child's guardian.")
        birth_date = child.birth_date
    submission = Submission(
        kind=body.kind,
        region_code=body.region_code,
        clinic_hsa_id=body.clinic_hsa_id,
        where=body.where,
        description=body.description,
        unknown_clinic=body.unknown_clinic,
        anonymous=body.anonymous,
        answer_channel=body.answer_channel,
    )
    resident_id = wiring.resident_ids.of(resident.subject)
    case = await submit_complaint(
        wiring.context, submission, resident_id=resident_id, patient_birth_date=birth_date
    )
    return CaseOut.of(case, wiring.clock())


@router.get("/me/complaints", response_model=CasesOut)
async def mine(
    resident: StrongResident, wiring: Wiring, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> CasesOut:
    """The caller's own cases (not anonymous ones) and how far each has come."""
    now = wiring.clock()
    cases = await my_cases(wiring.context, wiring.resident_ids.of(resident.subject), limit)
    return CasesOut(items=[CaseOut.of(c, now) for c in cases])
