"""Regions, clinics and the service addressing catalogue in SQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.complaints.adapters.tables import cases, clinic_endpoints, clinics, regions
from careflow.complaints.domain.cases import Status
from careflow.complaints.domain.clinics import Clinic, DirectoryEntry
from careflow.complaints.domain.delivery import Endpoint
from careflow.complaints.domain.regions import PatientBoard, Region
from careflow.shared.db.driver import driver_connection
from careflow.shared.db.upsert import upsert

#: Rows per statement when a file's clinics are written.
_CHUNK = 5000

# Every submission reads its region, clinic and catalogue entry: on the driver
# connection (careflow.shared.db.driver), each prepared once per connection, instead of
# SQLAlchemy's per-statement construction, compilation lookup and result machinery.
_SELECT_REGION = "SELECT code, name, board_hsa_id, board_name FROM regions WHERE code = $1"
_SELECT_CLINIC = "SELECT hsa_id, name, region_code FROM clinics WHERE hsa_id = $1"
_SELECT_ENDPOINT = "SELECT hsa_id, url, system_id FROM clinic_endpoints WHERE hsa_id = $1"


class SqlRegions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, code: str) -> Region | None:
        # A submission's first statement: it begins the transaction on the driver.
        if (driver := await driver_connection(self._session, begin=True)) is not None:
            row = await driver.fetchrow(_SELECT_REGION, code)
        else:
            row = (
                await self._session.execute(select(regions).where(regions.c.code == code))
            ).first()
        if row is None:
            return None
        # Positional: the driver's statement and `select(regions)` both start
        # code, name, board_hsa_id, board_name.
        code, name, board_hsa_id, board_name = row[0], row[1], row[2], row[3]
        board = PatientBoard(board_hsa_id, board_name) if board_hsa_id else None
        return Region(code, name, board)

    async def put(self, code: str, name: str) -> None:
        await upsert(self._session, regions, [{"code": code, "name": name}], ("code",))

    async def set_board(self, code: str, board: PatientBoard, at: datetime, by: str) -> None:
        await self._session.execute(
            update(regions)
            .where(regions.c.code == code)
            .values(
                board_hsa_id=board.hsa_id, board_name=board.name, board_set_at=at, board_set_by=by
            )
        )


class SqlClinics:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, hsa_id: str) -> Clinic | None:
        if (driver := await driver_connection(self._session)) is not None:
            row = await driver.fetchrow(_SELECT_CLINIC, hsa_id)
        else:
            c = clinics.c
            row = (
                await self._session.execute(
                    select(c.hsa_id, c.name, c.region_code).where(c.hsa_id == hsa_id)
                )
            ).first()
        return None if row is None else Clinic(row[0], row[1], row[2])

    async def add(self, entries: Iterable[DirectoryEntry], at: datetime, by: str) -> int:
        rows = [
            {
                "hsa_id": e.hsa_id,
                "region_code": e.region_code,
                "name": e.name,
                "added_at": at,
                "added_by": by,
            }
            for e in entries
        ]
        for start in range(0, len(rows), _CHUNK):
            await upsert(self._session, clinics, rows[start : start + _CHUNK], ("hsa_id",))
        return len(rows)

    async def remove(self, hsa_id: str) -> bool:
        result = await self._session.execute(delete(clinics).where(clinics.c.hsa_id == hsa_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def ids_in(self, region_code: str) -> set[str]:
        rows = await self._session.execute(
            select(clinics.c.hsa_id).where(clinics.c.region_code == region_code)
        )
        return set(rows.scalars())

    async def search(self, region_code: str, text: str | None, limit: int) -> list[Clinic]:
        c = clinics.c
        stmt = select(c.hsa_id, c.name, c.region_code).where(c.region_code == region_code)
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(c.name.ilike(pattern, escape="\\"), c.hsa_id.ilike(pattern, escape="\\"))
            )
        rows = await self._session.execute(stmt.order_by(c.name, c.hsa_id).limit(limit))
        return [Clinic(r.hsa_id, r.name, r.region_code) for r in rows]

    async def ids_after(self, after: str, limit: int) -> list[str]:
        c = clinics.c
        rows = await self._session.execute(
            select(c.hsa_id).where(c.hsa_id > after).order_by(c.hsa_id).limit(limit)
        )
        return list(rows.scalars())

    async def move(self, entries: Iterable[DirectoryEntry]) -> int:
        """Clinics (and their open cases) whose region differs from the directory's move."""
        moved = 0
        for e in entries:
            result = await self._session.execute(
                update(clinics)
                .where(clinics.c.hsa_id == e.hsa_id, clinics.c.region_code != e.region_code)
                .values(region_code=e.region_code)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                moved += 1
                await self._session.execute(
                    update(cases)
                    .where(
                        cases.c.place_hsa_id == e.hsa_id, cases.c.status != Status.ANSWERED.value
                    )
                    .values(region_code=e.region_code)
                )
        return moved

    async def count(self, region_code: str) -> int:
        stmt = select(func.count()).where(clinics.c.region_code == region_code)
        return int((await self._session.execute(stmt)).scalar_one())


class SqlCatalogue:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, hsa_id: str) -> Endpoint | None:
        if (driver := await driver_connection(self._session)) is not None:
            row = await driver.fetchrow(_SELECT_ENDPOINT, hsa_id)
        else:
            e = clinic_endpoints.c
            row = (
                await self._session.execute(
                    select(e.hsa_id, e.url, e.system_id).where(e.hsa_id == hsa_id)
                )
            ).first()
        return None if row is None else Endpoint(row[0], row[1], row[2])

    async def put(self, endpoint: Endpoint, at: datetime) -> None:
        row = {
            "hsa_id": endpoint.hsa_id,
            "url": endpoint.url,
            "system_id": endpoint.system_id,
            "updated_at": at,
        }
        await upsert(self._session, clinic_endpoints, [row], ("hsa_id",))

    async def remove(self, hsa_id: str) -> bool:
        result = await self._session.execute(
            delete(clinic_endpoints).where(clinic_endpoints.c.hsa_id == hsa_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
