"""The access log: staff reads of cases, paged by the shared audit contract."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.complaints.adapters.tables import audit_records
from careflow.complaints.domain.audit import AuditRecord
from careflow.shared.audit import AuditQuery, AuditRecordOut
from careflow.shared.audit.sql import keyset_page, organisation_records

SERVICE = "complaints"
#: An anonymous case names no resident; its records show this id instead.
NO_RESIDENT = UUID(int=0)


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, records: list[AuditRecord]) -> None:
        if records:
            await self._session.execute(insert(audit_records), [vars(r) for r in records])

    async def page(
        self, organisation_id: str, query: AuditQuery, *, case_id: UUID | None = None
    ) -> list[AuditRecordOut]:
        a = audit_records.c
        stmt = organisation_records(audit_records, organisation_id, case_id=case_id)
        rows = await self._session.execute(keyset_page(stmt, a.at, a.id, query))
        return [
            AuditRecordOut.of(
                id=r.id,
                service=SERVICE,
                at=r.at,
                actor=r.professional_id,
                organisation=r.organisation_id,
                unit=r.unit_id,
                resident_id=r.resident_id or NO_RESIDENT,
                case_id=r.case_id,
                action=r.action,
                purpose=r.purpose,
            )
            for r in rows
        ]
