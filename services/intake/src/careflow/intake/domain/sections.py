"""The parts of a case: closing proposals, goals, tasks, coachings, bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

#: After a professional's proposal the resident may object for this long.
OBJECTION_WINDOW = timedelta(hours=72)

ProposalState = Literal["pending", "objected", "rejected", "accepted", "expired", "superseded"]


@dataclass
class ClosingProposal:
    id: UUID
    proposed_by: Literal["professional", "resident"]
    professional_id: str | None
    proposed_at: datetime
    deadline: datetime | None
    state: ProposalState = "pending"
    resolved_at: datetime | None = None
    message_id: UUID | None = None


@dataclass
class Goal:
    id: UUID
    text: str
    set_by: Literal["professional", "resident", "together"]
    professional_id: str | None
    set_at: datetime
    edited_at: datetime | None = None
    edited_by: Literal["professional", "resident"] | None = None


@dataclass
class Task:
    id: UUID
    kind: Literal["action_instruction", "questionnaire"]
    instruction: str
    language: str
    start_date: date
    latest_date: date | None
    assigned_by: str
    assigned_at: datetime
    filled_at: datetime | None = None


@dataclass
class Coaching:
    id: UUID
    attached_by: str
    attached_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None

    @property
    def ongoing(self) -> bool:
        return self.ended_at is None


@dataclass
class Closing:
    reason: str
    closed_by: Literal["resident", "professional", "system"]
    professional_id: str | None
    proposal_id: UUID | None
    closed_at: datetime
    statement: str | None = None  # the professional's stated reason; stays in intake
