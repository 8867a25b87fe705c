"""Whose communication history a resident may read: their own, and a child's while the
child is under 15 (domain.md "Actors and roles": a guardian acts for a child until then)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from careflow.notification.domain.errors import NotFound

PROXY_AGE_LIMIT = 15


@dataclass(frozen=True)
class Ward:
    """A child the reader is the guardian of, as the reader's token says."""

    resident_id: UUID
    birth_date: date


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def ensure_history_readable(
    resident_id: UUID, *, reader_id: UUID, wards: Iterable[Ward], today: date
) -> None:
    """The reader themself, or their guardian while the child is under 15; else NotFound.

    NotFound, not NotAllowed: whether someone else's history exists is not the
    reader's business.
    """
    if reader_id == resident_id:
        return
    if any(
        ward.resident_id == resident_id and age_on(ward.birth_date, today) < PROXY_AGE_LIMIT
        for ward in wards
    ):
        return
    raise NotFound("No communication history found.")
