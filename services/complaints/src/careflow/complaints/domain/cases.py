"""A resident's feedback or complaint, where it is handled, and when its answer is due."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from careflow.complaints.domain.errors import HandledElsewhere, InvalidInput, Refused


class Kind(StrEnum):
    FEEDBACK = "feedback"
    COMPLAINT = "complaint"


class PlaceKind(StrEnum):
    CLINIC = "clinic"
    BOARD = "board"


class HandledIn(StrEnum):
    """Exactly one place handles a case."""

    STAFF_VIEW = "staff_view"
    OWN_SYSTEM = "own_system"


class Status(StrEnum):
    RECEIVED = "received"
    DISTRIBUTED = "distributed"
    ANSWERED = "answered"


class AnswerChannel(StrEnum):
    MESSAGE = "message"
    LETTER = "letter"
    PHONE = "phone"


@dataclass(frozen=True)
class DuePolicy:
    """Answer within `answer_days`; sooner (`under_18_days`) for a patient under 18."""

    answer_days: int = 28
    under_18_days: int = 14

    def due(self, submitted_at: datetime, patient_birth_date: date | None) -> datetime:
        young = (
            patient_birth_date is not None and _age(patient_birth_date, submitted_at.date()) < 18
        )
        return submitted_at + timedelta(days=self.under_18_days if young else self.answer_days)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class Submission:
    """What the resident sent; the texts never leave this service's database and the
    delivery to the clinic's own system."""

    kind: Kind
    region_code: str
    clinic_hsa_id: str | None
    where: str
    description: str
    unknown_clinic: str | None
    anonymous: bool
    answer_channel: AnswerChannel | None

    def __post_init__(self) -> None:
        if self.anonymous and self.answer_channel is not None:
            raise InvalidInput("An anonymous case gets no answer: leave out the answer channel.")
        if self.unknown_clinic is not None and self.clinic_hsa_id is not None:
            raise InvalidInput("Name either a clinic by HSA-id or describe an unknown one.")


@dataclass(frozen=True)
class Case:
    case_id: UUID
    kind: Kind
    region_code: str
    place_hsa_id: str
    place_kind: PlaceKind
    handled_in: HandledIn
    status: Status
    anonymous: bool
    resident_id: UUID | None
    answer_channel: AnswerChannel | None
    submitted_at: datetime
    due_at: datetime
    where: str = ""
    description: str = ""
    unknown_clinic: str | None = None
    group_id: UUID | None = None
    handler_id: str | None = None
    answered_at: datetime | None = None
    external_status: str | None = None
    replies: tuple[Reply, ...] = field(default=())

    def overdue(self, now: datetime) -> bool:
        return self.status is not Status.ANSWERED and now >= self.due_at

    def require_staff_view(self) -> None:
        if self.handled_in is HandledIn.OWN_SYSTEM:
            raise HandledElsewhere("This case is handled in the clinic's own case-handling system.")

    def distributed(self, *, group_id: UUID | None, handler_id: str | None) -> Case:
        self.require_staff_view()
        if (group_id is None) == (handler_id is None):
            raise InvalidInput("Give the case to one group or to one handler.")
        status = self.status if self.status is Status.ANSWERED else Status.DISTRIBUTED
        return replace(self, group_id=group_id, handler_id=handler_id, status=status)

    def retargeted(self, clinic_hsa_id: str, handled_in: HandledIn) -> Case:
        """The board names the right clinic: the case leaves the board, and whoever it
        was given to there, for the new clinic's receivers."""
        if self.place_kind is not PlaceKind.BOARD:
            raise Refused("Only a case sent to the patient board can be re-targeted.")
        if self.status is Status.ANSWERED:
            raise Refused("An answered case stays where it was answered.")
        return replace(
            self,
            place_hsa_id=clinic_hsa_id,
            place_kind=PlaceKind.CLINIC,
            handled_in=handled_in,
            status=Status.RECEIVED,
            group_id=None,
            handler_id=None,
        )

    def answered(self, at: datetime) -> Case:
        if self.status is Status.ANSWERED:
            return self
        return replace(self, status=Status.ANSWERED, answered_at=at)

    @property
    def notifies_resident(self) -> bool:
        return (
            not self.anonymous and self.resident_id is not None and self.answer_channel is not None
        )


@dataclass(frozen=True)
class Reply:
    author: str
    final: bool
    text: str
    at: datetime


def check_reply(case: Case, *, final: bool) -> None:
    case.require_staff_view()
    if case.anonymous:
        raise Refused("An anonymous case gets no answer.")
    if case.status is Status.ANSWERED:
        raise Refused("The case is answered already.")
    if final and case.answer_channel is None:
        raise Refused("The resident did not ask for an answer.")
