"""The use cases on in-memory ports: what each one changes, publishes and refuses."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from careflow.complaints.application.clinics import import_clinics, sync_regions
from careflow.complaints.application.integration import deliver_due, report_status
from careflow.complaints.application.routing import on_routed
from careflow.complaints.application.submit import submit_complaint
from careflow.complaints.domain.cases import AnswerChannel, Kind, Status, Submission
from careflow.complaints.domain.clinics import Clinic, DirectoryEntry
from careflow.complaints.domain.delivery import Endpoint
from careflow.complaints.domain.errors import NotFound, Refused, ServiceClosed
from careflow.complaints.domain.regions import PatientBoard, Region
from careflow.contracts.complaints import ComplaintAnswered, ComplaintDelivered
from careflow.contracts.notifications import NotificationRequested

from .fakes import NOW, FakeCaseSystem, FakeDirectory, FakeUnitOfWork, Store, context

CLINIC, BOARD = "SE2321000131-E000000011", "SE2321000131-P000000001"


def region(store: Store, board: bool = True) -> None:
    store.regions["14"] = Region("14", "VG", PatientBoard(BOARD, "PN") if board else None)
    store.clinics[CLINIC] = Clinic(CLINIC, "VC", "14")


def submission(clinic: str | None = CLINIC, **changes: object) -> Submission:
    fields: dict[str, object] = {
        "kind": Kind.COMPLAINT,
        "region_code": "14",
        "clinic_hsa_id": clinic,
        "where": "entrén",
        "description": "text",
        "unknown_clinic": None,
        "anonymous": False,
        "answer_channel": AnswerChannel.MESSAGE,
    }
    return Submission(**(fields | changes))  # type: ignore[arg-type]


async def test_a_closed_region_refuses_and_stores_nothing() -> None:
    store = Store()
    region(store, board=False)
    with pytest.raises(ServiceClosed):
        await submit_complaint(
            context(store), submission(), resident_id=uuid4(), patient_birth_date=None
        )
    assert store.cases == {}
    assert store.events == []


async def test_no_clinic_goes_to_the_board_and_anonymous_names_nobody() -> None:
    store = Store()
    region(store)
    case = await submit_complaint(
        context(store),
        submission(None, anonymous=True, answer_channel=None, unknown_clinic="vid torget"),
        resident_id=uuid4(),
        patient_birth_date=None,
    )
    assert (case.place_hsa_id, case.resident_id, case.unknown_clinic) == (BOARD, None, "vid torget")
    assert [type(e).__name__ for e in store.events] == ["ComplaintSubmitted"]


async def test_a_clinic_in_the_catalogue_is_routed_to_its_own_system_and_delivered_once() -> None:
    store = Store()
    region(store)
    store.endpoints[CLINIC] = Endpoint(CLINIC, "http://clinic/cases", "sys-1")
    system = FakeCaseSystem(failures=2)
    clock = [NOW]
    ctx = context(store, case_system=system, clock=lambda: clock[0])
    case = await submit_complaint(ctx, submission(), resident_id=uuid4(), patient_birth_date=None)
    assert case.handled_in.value == "own_system"
    await on_routed(store.events[0], _uow(store), ctx)
    await on_routed(store.events[0], _uow(store), ctx)  # redelivered: still one delivery
    assert list(store.deliveries) == [case.case_id]

    for _ in range(3):
        await deliver_due(ctx, 10)
        clock[0] += timedelta(minutes=20)
    assert system.attempts == 3
    assert list(system.kept) == [str(case.case_id)]
    delivered = [e for e in store.events if isinstance(e, ComplaintDelivered)]
    assert [e.attempts for e in delivered] == [3]
    assert await deliver_due(ctx, 10) == 0


async def test_only_the_catalogued_system_reports_status_and_an_answer_notifies_once() -> None:
    store = Store()
    region(store)
    store.endpoints[CLINIC] = Endpoint(CLINIC, "http://clinic/cases", "sys-1")
    ctx = context(store)
    case = await submit_complaint(ctx, submission(), resident_id=uuid4(), patient_birth_date=None)
    with pytest.raises(NotFound):
        await report_status(ctx, "sys-2", case.case_id, "answered")
    await report_status(ctx, "sys-1", case.case_id, "received")
    assert store.cases[case.case_id].external_status == "received"
    await report_status(ctx, "sys-1", case.case_id, "answered")
    await report_status(ctx, "sys-1", case.case_id, "answered")
    assert store.cases[case.case_id].status is Status.ANSWERED
    assert sum(isinstance(e, ComplaintAnswered) for e in store.events) == 1
    assert sum(isinstance(e, NotificationRequested) for e in store.events) == 1


async def test_a_staff_view_case_has_no_delivery() -> None:
    store = Store()
    region(store)
    ctx = context(store)
    await submit_complaint(ctx, submission(), resident_id=uuid4(), patient_birth_date=None)
    await on_routed(store.events[0], _uow(store), ctx)
    assert store.deliveries == {}


async def test_applying_an_import_twice_adds_the_valid_rows_once() -> None:
    store = Store()
    region(store)
    good = "SE2321000131-E000000099"
    directory = FakeDirectory({good: DirectoryEntry(good, "VC 99", "14", True)})
    ctx = context(store, directory=directory)
    first = await import_clinics(ctx, "14", f"{good}\nbad\n", "txt", apply=True, by="admin")
    second = await import_clinics(ctx, "14", f"{good}\nbad\n", "txt", apply=True, by="admin")
    assert (first.applied, second.applied) == (1, 0)
    assert second.counts["already_added"] == 1
    assert second.counts["malformed"] == 1


async def test_the_region_sync_moves_a_clinic_the_directory_moved() -> None:
    store = Store()
    region(store)
    directory = FakeDirectory({CLINIC: DirectoryEntry(CLINIC, "VC", "01", True)})
    assert await sync_regions(context(store, directory=directory)) == 1
    assert store.clinics[CLINIC].region_code == "01"
    assert await sync_regions(context(store, directory=directory)) == 0


async def test_an_unknown_region_is_refused() -> None:
    with pytest.raises(Refused):
        await submit_complaint(
            context(Store()), submission(), resident_id=uuid4(), patient_birth_date=None
        )


def _uow(store: Store) -> FakeUnitOfWork:
    return FakeUnitOfWork(store)
