"""Which of a resident's notifications the professionals of an organisation see in the
resident's communication history.

A notification about a case belongs to the case's organisation (intake's opening says
which; until notification has seen it, to no one). One without a case (a patient
reminder, new content) belongs to the organisation that requested it on the resident's
behalf, if the request named one; otherwise no professional sees it (the resident does).
"""

from __future__ import annotations

from uuid import UUID


def shown_to(
    organisation: str,
    *,
    case_id: UUID | None,
    case_organisation: str | None,
    requested_for: str | None,
) -> bool:
    """Whether professionals of `organisation` see the notification.

    `case_organisation`: the organisation of the notification's case, None while the
    case's opening is unknown. `requested_for`: the organisation the request named.
    With a case, the request's organisation does not count: a requester cannot show a
    case's notification to an organisation other than the case's own.
    """
    if case_id is not None:
        return case_organisation == organisation
    return requested_for is not None and requested_for == organisation
