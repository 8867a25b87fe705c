"""Messaging's audit log of professionals' reads; paged by the shared audit contract."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.messaging.adapters.tables import audit_records
from careflow.messaging.domain.audit import AuditRecord
from careflow.shared.audit import AuditQuery, AuditRecordOut
from careflow.shared.audit.sql import keyset_page, organisation_records

#: The name audit records carry, so merged pages tell the services apart.
SERVICE = "messaging"


class SqlAuditLog:
    """Append-only (the service role may only insert and select)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, records: list[AuditRecord]) -> None:
        if not records:
            return
        await self.session.execute(
            insert(audit_records),
            [
                {
                    "organisation_id": r.organisation_id,
                    "professional_id": r.professional_id,
                    "unit_id": r.unit_id,
                    "resident_id": r.resident_id,
                    "case_id": r.case_id,
                    "action": r.action,
                    "at": r.at,
                    "purpose": r.purpose,
                }
                for r in records
            ],
        )

    async def page(
        self,
        organisation_id: str,
        query: AuditQuery,
        *,
        resident_id: UUID | None = None,
        case_id: UUID | None = None,
        professional_id: str | None = None,
    ) -> list[AuditRecordOut]:
        a = audit_records.c
        stmt = organisation_records(
            audit_records,
            organisation_id,
            resident_id=resident_id,
            case_id=case_id,
            professional_id=professional_id,
        )
        rows = await self.session.execute(keyset_page(stmt, a.at, a.id, query))
        return [
            AuditRecordOut.of(
                id=r.id,
                service=SERVICE,
                at=r.at,
                actor=r.professional_id,
                organisation=r.organisation_id,
                unit=r.unit_id,
                resident_id=r.resident_id,
                case_id=r.case_id,
                action=r.action,
                purpose=r.purpose,
            )
            for r in rows
        ]
