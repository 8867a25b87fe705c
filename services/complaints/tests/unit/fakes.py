"""In-memory stand-ins for the ports, for use-case tests without I/O."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Self
from uuid import UUID

from careflow.complaints.application.context import Context
from careflow.complaints.domain.audit import AuditRecord
from careflow.complaints.domain.cases import Case, Reply
from careflow.complaints.domain.clinics import Clinic, DirectoryEntry
from careflow.complaints.domain.delivery import CaseQuery, DeliveryFailed, DeliveryJob, Endpoint
from careflow.complaints.domain.regions import PatientBoard, Region

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@dataclass
class Store:
    regions: dict[str, Region] = field(default_factory=dict)
    clinics: dict[str, Clinic] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    cases: dict[UUID, Case] = field(default_factory=dict)
    replies: dict[UUID, list[Reply]] = field(default_factory=dict)
    groups: dict[UUID, tuple[str, str, list[str]]] = field(default_factory=dict)
    deliveries: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    commits: int = 0


class _Regions:
    def __init__(self, s: Store) -> None:
        self.s = s

    async def get(self, code: str) -> Region | None:
        return self.s.regions.get(code)

    async def put(self, code: str, name: str) -> None:
        old = self.s.regions.get(code)
        self.s.regions[code] = Region(code, name, old.board if old else None)

    async def set_board(self, code: str, board: PatientBoard, at: datetime, by: str) -> None:
        self.s.regions[code] = replace(self.s.regions[code], board=board)


class _Clinics:
    def __init__(self, s: Store) -> None:
        self.s = s

    async def get(self, hsa_id: str) -> Clinic | None:
        return self.s.clinics.get(hsa_id)

    async def add(self, entries: Iterable[DirectoryEntry], at: datetime, by: str) -> int:
        n = 0
        for e in entries:
            self.s.clinics[e.hsa_id] = Clinic(e.hsa_id, e.name, e.region_code)
            n += 1
        return n

    async def remove(self, hsa_id: str) -> bool:
        return self.s.clinics.pop(hsa_id, None) is not None

    async def ids_in(self, region_code: str) -> set[str]:
        return {c.hsa_id for c in self.s.clinics.values() if c.region_code == region_code}

    async def search(self, region_code: str, text: str | None, limit: int) -> list[Clinic]:
        return [c for c in self.s.clinics.values() if c.region_code == region_code][:limit]

    async def ids_after(self, after: str, limit: int) -> list[str]:
        return sorted(i for i in self.s.clinics if i > after)[:limit]

    async def move(self, entries: Iterable[DirectoryEntry]) -> int:
        moved = 0
        for e in entries:
            c = self.s.clinics.get(e.hsa_id)
            if c and c.region_code != e.region_code:
                self.s.clinics[e.hsa_id] = replace(c, region_code=e.region_code)
                moved += 1
        return moved


class _Catalogue:
    def __init__(self, s: Store) -> None:
        self.s = s

    async def get(self, hsa_id: str) -> Endpoint | None:
        return self.s.endpoints.get(hsa_id)

    async def put(self, endpoint: Endpoint, at: datetime) -> None:
        self.s.endpoints[endpoint.hsa_id] = endpoint

    async def remove(self, hsa_id: str) -> bool:
        return self.s.endpoints.pop(hsa_id, None) is not None


class _Cases:
    def __init__(self, s: Store) -> None:
        self.s = s

    async def add(self, case: Case) -> None:
        self.s.cases[case.case_id] = case

    async def get(self, case_id: UUID, *, for_update: bool = False) -> Case | None:
        return self.s.cases.get(case_id)

    async def update(self, case: Case) -> None:
        self.s.cases[case.case_id] = case

    async def list(self, query: CaseQuery) -> list[Case]:
        return [c for c in self.s.cases.values() if c.place_hsa_id == query.place_hsa_id]

    async def of_resident(self, resident_id: UUID, limit: int) -> list[Case]:
        return [c for c in self.s.cases.values() if c.resident_id == resident_id]

    async def add_reply(self, case_id: UUID, reply: Reply) -> None:
        self.s.replies.setdefault(case_id, []).append(reply)

    async def replies(self, case_id: UUID) -> list[Reply]:
        return self.s.replies.get(case_id, [])

    async def count_overdue(self, now: datetime) -> int:
        return sum(1 for c in self.s.cases.values() if c.overdue(now))


class _Groups:
    def __init__(self, s: Store) -> None:
        self.s = s

    async def add(
        self, group_id: UUID, place: str, name: str, members: Collection[str], at: datetime
    ) -> None:
        self.s.groups[group_id] = (place, name, list(members))

    async def of_place(self, place: str) -> list[tuple[UUID, str, list[str]]]:
        return [(g, n, m) for g, (p, n, m) in self.s.groups.items() if p == place]

    async def exists(self, group_id: UUID, place: str) -> bool:
        return group_id in self.s.groups and self.s.groups[group_id][0] == place

    async def of_member(self, subject: str, place: str) -> set[UUID]:
        return {g for g, (p, _n, m) in self.s.groups.items() if p == place and subject in m}


class _Deliveries:
    def __init__(self, s: Store) -> None:
        self.s = s

    async def schedule(self, case_id: UUID, url: str, at: datetime) -> None:
        self.s.deliveries.setdefault(
            case_id, {"url": url, "status": "pending", "attempts": 0, "next": at}
        )

    async def claim_due(self, now: datetime, limit: int) -> list[DeliveryJob]:
        due = [
            DeliveryJob(c, d["url"], d["attempts"])
            for c, d in self.s.deliveries.items()
            if d["status"] == "pending" and d["next"] <= now
        ]
        return due[:limit]

    async def delivered(self, case_id: UUID, attempts: int, at: datetime) -> None:
        self.s.deliveries[case_id] |= {"status": "delivered", "attempts": attempts}

    async def retry(self, case_id: UUID, attempts: int, at: datetime, error: str) -> None:
        self.s.deliveries[case_id] |= {"attempts": attempts, "next": at, "error": error}


class _Audit:
    def __init__(self, s: Store) -> None:
        self.s = s

    async def record(self, records: list[AuditRecord]) -> None:
        self.s.audit.extend(records)

    async def page(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []


class _Outbox:
    def __init__(self, s: Store) -> None:
        self.s = s
        self.pending: list[Any] = []

    def add(self, event: Any, *, occurred_at: datetime | None = None) -> str:
        self.pending.append(event)
        return "id"


class FakeUnitOfWork:
    """Usable entered or not: a consumer hands its handlers a unit of work it entered."""

    def __init__(self, store: Store) -> None:
        self.store = s = store
        self.regions, self.clinics, self.catalogue = _Regions(s), _Clinics(s), _Catalogue(s)
        self.cases, self.groups, self.deliveries = _Cases(s), _Groups(s), _Deliveries(s)
        self.audit, self.outbox = _Audit(s), _Outbox(s)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.store.events.extend(self.outbox.pending)
        self.outbox.pending = []
        self.store.commits += 1


@dataclass
class FakeDirectory:
    units: dict[str, DirectoryEntry] = field(default_factory=dict)
    calls: int = 0

    async def lookup(self, hsa_ids: Collection[str]) -> Mapping[str, DirectoryEntry]:
        self.calls += 1
        return {i: self.units[i] for i in hsa_ids if i in self.units}


@dataclass
class FakeCaseSystem:
    failures: int = 0
    kept: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    attempts: int = 0

    async def deliver(self, url: str, idempotency_key: str, body: Mapping[str, Any]) -> None:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            raise DeliveryFailed("http_500")
        self.kept.setdefault(idempotency_key, body)


def context(store: Store, **parts: Any) -> Context:
    return Context(
        uow=lambda: FakeUnitOfWork(store),  # type: ignore[arg-type, return-value]
        directory=parts.get("directory", FakeDirectory()),
        case_system=parts.get("case_system", FakeCaseSystem()),
        clock=parts.get("clock", lambda: NOW),
    )


__all__ = ["NOW", "FakeCaseSystem", "FakeDirectory", "FakeUnitOfWork", "Store", "context"]
