"""Which notifications an organisation's professionals see: a case's by the case's
organisation, one without a case by the organisation that requested it."""

from __future__ import annotations

import uuid

import pytest

from careflow.notification.domain.professional_access import shown_to

CASE = uuid.uuid4()


@pytest.mark.parametrize(
    ("case_id", "case_organisation", "requested_for", "shown"),
    [
        # About a case: the case's organisation, whoever requested it.
        (CASE, "org-a", None, True),
        (CASE, "org-a", "org-a", True),
        (CASE, "org-b", None, False),
        (CASE, "org-b", "org-a", False),  # a requester cannot lend another's case out
        (CASE, None, "org-a", False),  # the case's opening not seen yet: no one
        # Without a case: the requesting organisation only.
        (None, None, "org-a", True),
        (None, None, "org-b", False),
        (None, None, None, False),  # on no one's behalf: the resident's alone
    ],
)
def test_who_sees_a_notification(
    case_id: uuid.UUID | None, case_organisation: str | None, requested_for: str | None, shown: bool
) -> None:
    assert (
        shown_to(
            "org-a",
            case_id=case_id,
            case_organisation=case_organisation,
            requested_for=requested_for,
        )
        is shown
    )
