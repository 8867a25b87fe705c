"""One staff read of a case, as the access log keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from careflow.complaints.domain.access import Staff
from careflow.complaints.domain.cases import Case


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    professional_id: str
    organisation_id: str
    unit_id: str
    resident_id: UUID | None
    case_id: UUID
    action: str
    purpose: str


def reads(
    staff: Staff, cases: list[Case], action: str, purpose: str, at: datetime
) -> list[AuditRecord]:
    return [
        AuditRecord(
            at=at,
            professional_id=staff.subject,
            organisation_id=staff.region_code,
            unit_id=staff.place_hsa_id,
            resident_id=case.resident_id,
            case_id=case.case_id,
            action=action,
            purpose=purpose,
        )
        for case in cases
    ]
