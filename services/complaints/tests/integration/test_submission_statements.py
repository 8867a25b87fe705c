"""The submission's reads and its case insert run as prepared statements on the driver
connection (careflow.shared.db.driver): they must see and write what the SQLAlchemy
paths do, and stay in the one transaction with the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from careflow.complaints.adapters.tables import cases
from careflow.complaints.application import outgoing
from careflow.complaints.domain.cases import (
    AnswerChannel,
    Case,
    HandledIn,
    Kind,
    PlaceKind,
    Status,
)
from careflow.shared.outbox.tables import outbox

from .conftest import Service, hsa

REGION = "61"


def a_case(clinic: str, **changes: object) -> Case:
    now = datetime.now(UTC).replace(microsecond=0)
    values: dict[str, object] = {
        "case_id": uuid.uuid4(),
        "kind": Kind.COMPLAINT,
        "region_code": REGION,
        "place_hsa_id": clinic,
        "place_kind": PlaceKind.CLINIC,
        "handled_in": HandledIn.STAFF_VIEW,
        "status": Status.RECEIVED,
        "anonymous": False,
        "resident_id": uuid.uuid4(),
        "answer_channel": AnswerChannel.LETTER,
        "submitted_at": now,
        "due_at": now + timedelta(days=28),
        "where": "Entrén",
        "description": "Ingen svarade.",
    }
    return Case(**(values | changes))  # type: ignore[arg-type]


async def region_with_clinic(service: Service) -> tuple[str, str]:
    board = getattr(service, "board_61", None)
    if board is None:
        board = hsa("P")
        await service.open_region(REGION, board)
        service.board_61 = board  # type: ignore[attr-defined]
    clinic = hsa()
    await service.add_clinic(REGION, clinic)
    return board, clinic


async def test_the_reads_of_a_submission_find_region_board_clinic_and_catalogue_entry(
    service: Service,
) -> None:
    board, clinic = await region_with_clinic(service)
    catalogue = service.pro("tak-61", "platform", "tak", "addressing_admin")
    r = await service.client.put(
        f"/addressing/clinics/{clinic}",
        json={"url": "http://127.0.0.1:9/cases", "system_id": "system-61"},
        headers=catalogue,
    )
    assert r.status_code == 200, r.text
    async with service.app.state.container.uow() as uow:
        region = await uow.regions.get(REGION)
        assert region is not None
        assert (region.code, region.board and region.board.hsa_id) == (REGION, board)
        found = await uow.clinics.get(clinic)
        assert found is not None
        assert (found.hsa_id, found.region_code) == (clinic, REGION)
        endpoint = await uow.catalogue.get(clinic)
        assert endpoint is not None
        assert (endpoint.url, endpoint.system_id) == ("http://127.0.0.1:9/cases", "system-61")
        assert await uow.regions.get("09") is None
        assert await uow.clinics.get(hsa()) is None
        assert await uow.catalogue.get(board) is None


async def test_a_case_written_on_the_driver_reads_back_whole(service: Service) -> None:
    _board, clinic = await region_with_clinic(service)
    full = a_case(clinic)
    bare = a_case(clinic, anonymous=True, resident_id=None, answer_channel=None, where="")
    async with service.app.state.container.uow() as uow:
        assert await uow.regions.get(REGION) is not None  # begins on the driver
        await uow.cases.add(full)
        await uow.cases.add(bare)
        await uow.commit()
    async with service.app.state.container.uow() as uow:
        assert await uow.cases.get(full.case_id) == full
        assert await uow.cases.get(bare.case_id) == bare


async def test_a_submission_left_without_commit_leaves_neither_case_nor_event(
    service: Service,
) -> None:
    _board, clinic = await region_with_clinic(service)
    case = a_case(clinic)
    async with service.app.state.container.uow() as uow:
        assert await uow.regions.get(REGION) is not None
        await uow.cases.add(case)
        event_id = uow.outbox.add(outgoing.submitted(case), occurred_at=case.submitted_at)
        await uow.outbox.flush()  # on the driver too, inside the same transaction
        # leaving the block without commit() rolls it all back
    assert await service.sql(select(cases.c.case_id).where(cases.c.case_id == case.case_id)) == []
    assert await service.sql(select(outbox.c.event_id).where(outbox.c.event_id == event_id)) == []
