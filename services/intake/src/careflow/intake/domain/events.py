"""What happened to a case or a resident; the application maps these to contract events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

Actor = Literal["resident", "professional", "system"]


@dataclass(frozen=True)
class DomainEvent:
    at: datetime

    @property
    def actor(self) -> Actor:
        return "system"


@dataclass(frozen=True)
class CaseOpened(DomainEvent):
    """A resident submitted a form or a professional created a case."""

    @property
    def actor(self) -> Actor:
        return "resident"


@dataclass(frozen=True)
class CaseCreated(DomainEvent):
    professional_id: str

    @property
    def actor(self) -> Actor:
        return "professional"


@dataclass(frozen=True)
class CaseTaken(DomainEvent):
    professional_id: str

    @property
    def actor(self) -> Actor:
        return "professional"


@dataclass(frozen=True)
class ClosingWasProposed(DomainEvent):
    proposal_id: UUID
    proposed_by: Literal["professional", "resident"]
    professional_id: str | None
    deadline: datetime | None

    @property
    def actor(self) -> Actor:
        return self.proposed_by


@dataclass(frozen=True)
class ClosingWasObjected(DomainEvent):
    proposal_id: UUID
    message_id: UUID | None

    @property
    def actor(self) -> Actor:
        return "resident"


@dataclass(frozen=True)
class ClosingProposalWasRejected(DomainEvent):
    proposal_id: UUID
    professional_id: str

    @property
    def actor(self) -> Actor:
        return "professional"


@dataclass(frozen=True)
class CaseWasClosed(DomainEvent):
    reason: str
    closed_by: Actor
    professional_id: str | None
    proposal_id: UUID | None

    @property
    def actor(self) -> Actor:
        return self.closed_by


@dataclass(frozen=True)
class TaskWasAssigned(DomainEvent):
    task_id: UUID
    task_kind: Literal["action_instruction", "questionnaire"]
    professional_id: str
    start_date: date
    latest_date: date | None

    @property
    def actor(self) -> Actor:
        return "professional"


@dataclass(frozen=True)
class QuestionnaireWasFilled(DomainEvent):
    task_id: UUID

    @property
    def actor(self) -> Actor:
        return "resident"


@dataclass(frozen=True)
class GoalWasSet(DomainEvent):
    goal_id: UUID
    set_by: Literal["professional", "resident", "together"]
    professional_id: str | None

    @property
    def actor(self) -> Actor:
        return "resident" if self.set_by == "resident" else "professional"


@dataclass(frozen=True)
class GoalWasEdited(DomainEvent):
    goal_id: UUID
    edited_by: Literal["professional", "resident"]
    professional_id: str | None

    @property
    def actor(self) -> Actor:
        return self.edited_by


@dataclass(frozen=True)
class CoachingWasAttached(DomainEvent):
    coaching_id: UUID
    professional_id: str

    @property
    def actor(self) -> Actor:
        return "professional"


@dataclass(frozen=True)
class CoachingWasEnded(DomainEvent):
    coaching_id: UUID
    reason: Literal["case_closed", "ended_by_professional", "completed"]


@dataclass(frozen=True)
class SummaryWasWritten(DomainEvent):
    professional_id: str

    @property
    def actor(self) -> Actor:
        return "professional"
