"""Who may read and act on a case: authorisation against the resource itself."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from careflow.intake.domain.case import Case
from careflow.intake.domain.forms import may_act_for_child


def professional_may_access(case: Case, organisation_id: str) -> bool:
    """Only the case's organisation; never private records or cases withdrawn before taken."""
    return case.organisation_id == organisation_id and not case.hidden_from_professionals


def resident_may_access(
    case: Case, resident_id: UUID, children: dict[UUID, date], today: date
) -> bool:
    """The identified resident of the case, or their guardian while the child is under 15."""
    if case.identification != "identified":
        return False
    if case.resident_id == resident_id:
        return True
    return may_act_for_child(children, case.resident_id, today)


def phone_contact_enabled(case: Case, consents_given: bool) -> bool:
    """Green "enabled" only when the case allows it and the service consents still hold."""
    return case.identification == "identified" and case.phone_contact_allowed and consents_given
