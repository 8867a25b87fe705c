"""An in-memory database behind application/ports.py, for the use cases' unit tests.

Each unit of work reads a copy of the committed state and writes it back only on
`commit`, so a use case that forgets to save, or refuses after writing, leaves
nothing behind, as a rolled-back transaction would.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from careflow.contracts.base import ContractEvent
from careflow.intake.application.actors import ProfessionalActor, ResidentActor
from careflow.intake.application.context import Intake
from careflow.intake.application.ports import ExpectationFailed
from careflow.intake.application.submit_form import submit_form
from careflow.intake.domain.bookings import Booking
from careflow.intake.domain.case import Case
from careflow.intake.domain.parking import ParkedEvent
from careflow.intake.domain.residents import Resident
from careflow.shared.audit import AuditRecordOut

from .builders import FEVER, POLICY, Clock, symptom_form


@dataclass
class State:
    cases: dict[uuid.UUID, Case] = field(default_factory=dict)
    timeline: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    residents: dict[uuid.UUID, Resident] = field(default_factory=dict)
    bookings: dict[str, Booking] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)
    parked: list[ParkedEvent] = field(default_factory=list)
    outbox: list[ContractEvent] = field(default_factory=list)


class FakeCases:
    def __init__(self, state: State) -> None:
        self.state = state

    async def get(self, case_id, *, lock=False):  # type: ignore[no-untyped-def]
        return copy.deepcopy(self.state.cases.get(case_id))

    async def save(self, case, events):  # type: ignore[no-untyped-def]
        self.state.cases[case.id] = copy.deepcopy(case)
        self.state.timeline.extend((case.id, type(e).__name__) for e in events)

    async def latest_events(self, case_id, limit=3):  # type: ignore[no-untyped-def]
        kinds = [k for cid, k in self.state.timeline if cid == case_id]
        return [{"kind": k} for k in reversed(kinds)][:limit]

    async def open_cases_of(self, resident_id, organisation_id, *, besides, limit):  # type: ignore[no-untyped-def]
        found = [
            {"id": c.id, "created_at": c.created_at}
            for c in self.state.cases.values()
            if c.resident_id == resident_id
            and c.organisation_id == organisation_id
            and c.id != besides
            and not c.closed
            and not c.private
        ]
        found.sort(key=lambda c: c["created_at"], reverse=True)
        return found[:limit], len(found)

    async def of_residents(self, resident_ids, *, limit, offset):  # type: ignore[no-untyped-def]
        mine = sorted(
            (
                c
                for c in self.state.cases.values()
                if c.resident_id in resident_ids and c.identification == "identified"
            ),
            key=lambda c: c.created_at,
            reverse=True,
        )
        return [{"id": c.id} for c in mine[offset : offset + limit]], len(mine)

    async def due_for_closing(self, now, limit):  # type: ignore[no-untyped-def]
        due = [c.id for c in self.state.cases.values() if c.closes_at and c.closes_at <= now]
        return due[:limit]


class FakeResidents:
    def __init__(self, state: State) -> None:
        self.state = state
        self.expected: list[tuple[uuid.UUID, str]] = []

    def expect_phone(self, resident_id, phone):  # type: ignore[no-untyped-def]
        self.expected.append((resident_id, phone))

    async def get(self, resident_id, *, lock=False):  # type: ignore[no-untyped-def]
        return copy.deepcopy(self.state.residents.get(resident_id))

    async def save(self, resident):  # type: ignore[no-untyped-def]
        self.state.residents[resident.id] = copy.deepcopy(resident)


class FakeBookings:
    def __init__(self, state: State) -> None:
        self.state = state

    async def get(self, booking_id):  # type: ignore[no-untyped-def]
        return copy.deepcopy(self.state.bookings.get(booking_id))

    async def save(self, booking):  # type: ignore[no-untyped-def]
        self.state.bookings[booking.id] = copy.deepcopy(booking)

    async def of_case(self, case_id, organisation_id, *, limit):  # type: ignore[no-untyped-def]
        found = [
            vars(b)
            for b in self.state.bookings.values()
            if b.case_id == case_id and b.organisation_id == organisation_id
        ]
        found.sort(key=lambda b: b["starts_at"], reverse=True)
        return sorted(found[:limit], key=lambda b: b["starts_at"]), len(found)


class FakeAudit:
    def __init__(self, state: State) -> None:
        self.state = state

    async def record(self, **entry):  # type: ignore[no-untyped-def]
        self.state.audit.append(entry | {"id": len(self.state.audit) + 1})

    async def page(self, organisation_id, query, **filters):  # type: ignore[no-untyped-def]
        rows = [r for r in self.state.audit if r["organisation_id"] == organisation_id]
        for name, value in filters.items():
            if value is not None:
                rows = [r for r in rows if r[name] == value]
        if query.from_ is not None:
            rows = [r for r in rows if r["at"] >= query.from_]
        if query.to is not None:
            rows = [r for r in rows if r["at"] < query.to]
        if query.cursor is not None:
            after = (query.cursor.at, query.cursor.id)
            rows = [r for r in rows if (r["at"], r["id"]) < after]
        rows.sort(key=lambda r: (r["at"], r["id"]), reverse=True)
        return [
            AuditRecordOut.of(
                id=r["id"],
                service="intake",
                at=r["at"],
                actor=r["professional_id"],
                organisation=r["organisation_id"],
                unit=r["unit_id"],
                resident_id=r["resident_id"],
                case_id=r["case_id"],
                action=r["action"],
                purpose=r["purpose"],
            )
            for r in rows[: query.limit + 1]
        ]


class FakeParked:
    def __init__(self, state: State) -> None:
        self.state = state

    async def add(self, event):  # type: ignore[no-untyped-def]
        self.state.parked.append(replace(event, id=len(self.state.parked) + 1))

    async def take_for_case(self, case_id):  # type: ignore[no-untyped-def]
        mine = [p for p in self.state.parked if p.case_id == case_id]
        self.state.parked = [p for p in self.state.parked if p.case_id != case_id]
        return mine

    async def cases_now_known(self, limit):  # type: ignore[no-untyped-def]
        return list({p.case_id for p in self.state.parked if p.case_id in self.state.cases})[:limit]

    async def expired(self, cutoff, limit):  # type: ignore[no-untyped-def]
        return [
            p
            for p in self.state.parked
            if p.parked_at <= cutoff and p.case_id not in self.state.cases
        ][:limit]

    async def remove(self, ids):  # type: ignore[no-untyped-def]
        self.state.parked = [p for p in self.state.parked if p.id not in ids]

    async def forget_processed(self, events):  # type: ignore[no-untyped-def]
        return None


class FakeOutbox:
    def __init__(self, state: State) -> None:
        self.state = state

    def add(self, event, *, occurred_at=None):  # type: ignore[no-untyped-def]
        self.state.outbox.append(event)
        return str(uuid.uuid4())


class FakeDatabase:
    """The committed state, and how many transactions committed."""

    def __init__(self) -> None:
        self.state = State()
        self.commits = 0

    def uow(self) -> FakeUoW:
        return FakeUoW(self)

    @property
    def events(self) -> list[str]:
        return [e.event_type for e in self.state.outbox]


class FakeUoW:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    async def __aenter__(self) -> FakeUoW:
        self.work = copy.deepcopy(self.db.state)
        self.cases = FakeCases(self.work)
        self.residents = FakeResidents(self.work)
        self.bookings = FakeBookings(self.work)
        self.audit = FakeAudit(self.work)
        self.parked = FakeParked(self.work)
        self.outbox = FakeOutbox(self.work)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        # Checked against the committed state, as the commit's statement would be.
        for resident_id, phone in self.residents.expected:
            on_file = self.db.state.residents.get(resident_id)
            if on_file is None or on_file.phone != phone:
                raise ExpectationFailed
        self.db.state = copy.deepcopy(self.work)
        self.db.commits += 1


class CountingMetrics:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def _add(self, name: str, count: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    def parked(self, event_type: str) -> None:
        self._add(f"parked {event_type}")

    def released(self, count: int) -> None:
        self._add("released", count)

    def dead_lettered(self, event_type: str) -> None:
        self._add(f"dead-lettered {event_type}")


def intake_on(
    db: FakeDatabase, clock: Clock | None = None, metrics: CountingMetrics | None = None
) -> Intake:
    return Intake(
        uow=db.uow,
        clock=clock or Clock(),
        policy=POLICY,
        parking_metrics=metrics or CountingMetrics(),
    )


def nurse(subject: str = "nurse-1", organisation: str = "org-1") -> ProfessionalActor:
    return ProfessionalActor(subject=subject, organisation=organisation, unit="unit-1")


def me(resident_id: uuid.UUID | None = None, **children: Any) -> ResidentActor:
    return ResidentActor(resident_id=resident_id or uuid.uuid4(), identified=True, **children)


async def submitted(db: FakeDatabase, clock: Clock, who: ResidentActor) -> uuid.UUID:
    """A case the resident submitted (a symptom assessment with a phone number)."""
    result = await submit_form(intake_on(db, clock), who, symptom_form(), dict(FEVER))
    return result.case_id
