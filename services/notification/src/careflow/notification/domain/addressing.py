"""Whom a case's notifications reach: the resident, their guardian, or nobody (anonymous).

What a case's opening said (intake's CaseSubmitted / CaseCreatedByProfessional)
decides every later notification about the case, whichever service asks for it:

- an anonymous case has no contact data and no case page: its notifications are
  suppressed at once with the reason, never parked waiting for contact data that
  will not come;
- a guardian's submission for a child (proxy contact) is notified to the
  guardian's contact, with the guardian's consents: the child's are not the ones
  given for this case.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from careflow.notification.domain.notification import NotificationRequest


@dataclass(frozen=True)
class CaseAddress:
    case_id: UUID
    resident_id: UUID
    anonymous: bool = False
    guardian_id: UUID | None = None


def addressed(request: NotificationRequest, case: CaseAddress | None) -> NotificationRequest:
    """The request addressed to whom the case says; unchanged for an unknown case."""
    if case is None or case.guardian_id is None or request.resident_id != case.resident_id:
        return request
    return replace(request, resident_id=case.guardian_id)


def suppressed_at_once(case: CaseAddress | None) -> bool:
    """Whether the case's notifications are suppressed without waiting for contact data."""
    return case is not None and case.anonymous
