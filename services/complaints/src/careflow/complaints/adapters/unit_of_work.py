"""Complaints' unit of work: the platform's (outbox, inbox in the same tx) plus repositories."""

from __future__ import annotations

from typing import Self

from careflow.complaints.adapters.audit_log import SqlAuditLog
from careflow.complaints.adapters.case_store import SqlCases, SqlDeliveries, SqlGroups
from careflow.complaints.adapters.places import SqlCatalogue, SqlClinics, SqlRegions
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork


class ComplaintsUnitOfWork(SqlUnitOfWork):
    """`async with uow:` gives the repositories below on one transaction."""

    regions: SqlRegions
    clinics: SqlClinics
    catalogue: SqlCatalogue
    cases: SqlCases
    groups: SqlGroups
    deliveries: SqlDeliveries
    audit: SqlAuditLog

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        s = self.session
        self.regions, self.clinics, self.catalogue = SqlRegions(s), SqlClinics(s), SqlCatalogue(s)
        self.cases, self.groups, self.deliveries = SqlCases(s), SqlGroups(s), SqlDeliveries(s)
        self.audit = SqlAuditLog(s)
        return self
