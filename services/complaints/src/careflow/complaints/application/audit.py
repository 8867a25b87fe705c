"""Auditors read the access log of their region."""

from __future__ import annotations

from uuid import UUID

from careflow.complaints.application.context import Context
from careflow.shared.audit import AuditPage, AuditQuery, page_of


async def query_audit(
    ctx: Context, organisation_id: str, query: AuditQuery, *, case_id: UUID | None = None
) -> AuditPage:
    async with ctx.uow() as uow:
        return page_of(await uow.audit.page(organisation_id, query, case_id=case_id), query)


async def count_overdue(ctx: Context) -> int:
    async with ctx.uow() as uow:
        return await uow.cases.count_overdue(ctx.clock())
