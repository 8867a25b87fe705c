"""The service addressing catalogue: which clinics handle cases in their own system, and
where it is. Apart from the regional admin API (its own role and routes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from careflow.complaints.application.integration import get_endpoint, remove_endpoint, set_endpoint
from careflow.complaints.domain.delivery import Endpoint
from careflow.complaints.domain.identifiers import HSA_ID_PATTERN
from careflow.complaints.entrypoints.api.deps import AddressingAdmin, Wiring
from careflow.complaints.entrypoints.api.schemas import EndpointIn, EndpointOut

router = APIRouter(prefix="/addressing/clinics", tags=["service addressing catalogue"])
HsaPath = Annotated[str, Path(pattern=HSA_ID_PATTERN)]


@router.put("/{hsa_id}", response_model=EndpointOut)
async def put_endpoint(
    hsa_id: HsaPath, body: EndpointIn, _: AddressingAdmin, wiring: Wiring
) -> EndpointOut:
    """The clinic's own case-handling system: its new cases are delivered there and never
    shown in the staff view."""
    endpoint = await set_endpoint(wiring.context, Endpoint(hsa_id, body.url, body.system_id))
    return EndpointOut.of(endpoint)


@router.get("/{hsa_id}", response_model=EndpointOut)
async def read_endpoint(hsa_id: HsaPath, _: AddressingAdmin, wiring: Wiring) -> EndpointOut:
    """Where the clinic's cases are delivered."""
    return EndpointOut.of(await get_endpoint(wiring.context, hsa_id))


@router.delete("/{hsa_id}", status_code=204, response_class=Response)
async def delete_endpoint(hsa_id: HsaPath, _: AddressingAdmin, wiring: Wiring) -> Response:
    """New cases of the clinic go to the staff view again."""
    await remove_endpoint(wiring.context, hsa_id)
    return Response(status_code=204)
