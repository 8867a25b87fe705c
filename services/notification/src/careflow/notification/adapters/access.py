"""Queries of professionals' access: whose cases are where, what they may see, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.notification.adapters.history import history_page
from careflow.notification.adapters.tables import audit_records, notifications, resident_cases
from careflow.notification.domain.addressing import CaseAddress
from careflow.notification.domain.history import HistoryCursor, NotificationRecord
from careflow.shared.audit import AuditQuery, AuditRecordOut
from careflow.shared.audit.sql import keyset_page, organisation_records
from careflow.shared.db.driver import transaction_connection
from careflow.shared.db.upsert import upsert

#: The name audit records carry, so merged pages tell the services apart.
SERVICE = "notification"

# Looked up for every notification about a case: on the driver connection, as the
# rest of a notification's statements (adapters.repository).
_ADDRESS = (
    "SELECT case_id, resident_id, anonymous, guardian_id FROM resident_cases WHERE case_id = $1"
)


class SqlResidentCases:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        case_id: UUID,
        resident_id: UUID,
        organisation_id: str,
        opened_at: datetime,
        anonymous: bool = False,
        guardian_id: UUID | None = None,
    ) -> None:
        """Notes a case's organisation and addressing once (neither ever changes)."""
        row = {
            "case_id": case_id,
            "resident_id": resident_id,
            "organisation_id": organisation_id,
            "opened_at": opened_at,
            "anonymous": anonymous,
            "guardian_id": guardian_id,
        }
        await upsert(self._session, resident_cases, [row], ("case_id",), update=False)

    async def address(self, case_id: UUID) -> CaseAddress | None:
        """Whom the case's notifications reach; None while its opening is not known here."""
        driver = await transaction_connection(self._session)
        row = await driver.fetchrow(_ADDRESS, case_id)
        return None if row is None else CaseAddress(**row)

    async def has_history_in(self, resident_id: UUID, organisation_id: str) -> bool:
        """A case of the resident's own there, or one a guardian submitted for their child
        (its notifications are the guardian's), or a notification without a case the
        organisation requested for the resident (a patient reminder)."""
        c, n = resident_cases.c, notifications.c
        case_there = select(c.case_id).where(
            or_(c.resident_id == resident_id, c.guardian_id == resident_id),
            c.organisation_id == organisation_id,
        )
        requested_there = select(n.notification_id).where(
            n.resident_id == resident_id,
            n.case_id.is_(None),
            n.organisation_id == organisation_id,
        )
        stmt = select(or_(case_there.exists(), requested_there.exists()))
        return bool((await self._session.execute(stmt)).scalar_one())

    async def notifications_in(
        self,
        resident_id: UUID,
        organisation_id: str,
        limit: int,
        after: HistoryCursor | None = None,
    ) -> list[NotificationRecord]:
        """The resident's notifications shown to `organisation_id`'s professionals, newest
        first: about its cases, or without a case and requested by it (the rule:
        domain/professional_access.py)."""
        n, c = notifications.c, resident_cases.c
        stmt = (
            select(notifications)
            .outerjoin(resident_cases, c.case_id == n.case_id)
            .where(
                n.resident_id == resident_id,
                or_(
                    and_(n.case_id.is_not(None), c.organisation_id == organisation_id),
                    and_(n.case_id.is_(None), n.organisation_id == organisation_id),
                ),
            )
        )
        rows = await self._session.execute(history_page(stmt, limit, after))
        return [NotificationRecord.of_row(row._mapping) for row in rows]


class SqlAuditLog:
    """Professionals' reads of communication histories, paged by the shared contract."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, **entry: Any) -> None:
        await self._session.execute(audit_records.insert().values(**entry))

    async def page(
        self, organisation_id: str, query: AuditQuery, *, resident_id: UUID | None = None
    ) -> list[AuditRecordOut]:
        a = audit_records.c
        stmt = organisation_records(audit_records, organisation_id, resident_id=resident_id)
        rows = await self._session.execute(keyset_page(stmt, a.at, a.id, query))
        return [
            AuditRecordOut.of(
                id=r.id,
                service=SERVICE,
                at=r.at,
                actor=r.professional_id,
                organisation=r.organisation_id,
                unit=r.unit_id,
                resident_id=r.resident_id,
                # A history read spans every case of the organisation the resident has.
                case_id=None,
                action=r.action,
                purpose=r.purpose,
            )
            for r in rows
        ]
