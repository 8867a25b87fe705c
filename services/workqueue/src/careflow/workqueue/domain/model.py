"""The queue item: one per case, and every rule about how it moves between queues.

Pure: no I/O, no framework, no contract imports. The urgency scale comes in as
an `UrgencyPolicy` (domain/urgency.py; built from the organisation's scale in
contracts by the application layer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from careflow.workqueue.domain import events as ev
from careflow.workqueue.domain.errors import (
    AlreadyTaken,
    InvalidRequest,
    InvalidState,
    ItemNotFound,
    NotAllowed,
)
from careflow.workqueue.domain.urgency import UrgencyChange, UrgencyPolicy, response_due

MAX_EXPLANATION = 1000
#: The one closing reason that takes a case out of every queue (domain.md "Closing").
RESIDENT_CLOSED_BEFORE_TAKEN = "resident_before_taken"


class Status(StrEnum):
    FREE = "free"  # in its group queue, nobody responsible yet
    # P0: the resident was told at once to call the emergency number. A record for
    # follow-up at the top of every group queue, never a task anyone takes or waits on.
    EMERGENCY = "emergency"
    TAKEN = "taken"  # a professional is handling it
    INCOMPLETE = "incomplete"  # taken, waiting for the resident to complete it
    CLOSED = "closed"  # in the closed queue
    REMOVED = "removed"  # resident closed it before it was taken: never shown


#: States the default view shows; INCOMPLETE is findable by filtering on it.
DEFAULT_VIEW = frozenset({Status.EMERGENCY, Status.FREE, Status.TAKEN})
HANDLED = frozenset({Status.TAKEN, Status.INCOMPLETE})


class ClearCause(StrEnum):
    """What clears "incomplete" (the values match the contract's IncompleteClearedBy)."""

    RESIDENT_MESSAGE = "resident_message"
    RESIDENT_PROPOSED_CLOSING = "resident_proposed_closing"
    BOOKING_CANCELLED = "booking_cancelled"
    GOAL_EDITED = "goal_edited"
    QUESTIONNAIRE_FILLED = "questionnaire_filled"
    TRANSFERRED = "transferred"


@dataclass
class QueueItem:
    """A case as a task in an organisation's work queue."""

    case_id: UUID
    resident_id: UUID
    organisation_id: str
    unit_id: str | None
    group_id: str | None
    case_kind: str
    language: str
    proxy_contact: bool
    submitted_at: datetime
    added_at: datetime
    original_urgency: str | None
    urgency: str | None
    urgency_rank: int
    immediate: bool
    status: Status = Status.FREE
    assignee: str | None = None
    taken_at: datetime | None = None
    ever_taken: bool = False
    resident_proposed_closing: bool = False
    closing_reason: str | None = None
    closed_at: datetime | None = None
    #: submitted_at + the class's target response time; None when the class has none.
    response_due_at: datetime | None = None
    #: The resident's messages on the case no professional has read (messaging's count).
    unread_messages: int = 0
    urgency_history: list[UrgencyChange] = field(default_factory=list)
    events: list[ev.DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def enter_queue(
        cls,
        *,
        case_id: UUID,
        resident_id: UUID,
        organisation_id: str,
        unit_id: str | None,
        group_id: str | None,
        case_kind: str,
        language: str,
        proxy_contact: bool,
        urgency: str | None,
        submitted_at: datetime,
        assignee: str | None,
        policy: UrgencyPolicy,
        now: datetime,
    ) -> QueueItem:
        """A new case becomes a task: free in its group queue, or already someone's."""
        item = cls(
            case_id=case_id,
            resident_id=resident_id,
            organisation_id=organisation_id,
            unit_id=unit_id,
            group_id=group_id,
            case_kind=case_kind,
            language=language,
            proxy_contact=proxy_contact,
            submitted_at=submitted_at,
            added_at=now,
            original_urgency=urgency,
            urgency=urgency,
            urgency_rank=policy.rank(urgency),
            immediate=policy.immediate(urgency),
            response_due_at=response_due(submitted_at, policy.target(urgency)),
        )
        if item.immediate and assignee is None:
            # P0 never waits in a queue: the resident has been told to call the
            # emergency number, so nobody is to take it as a queued task.
            item.status = Status.EMERGENCY
        elif assignee is not None:
            item.status, item.assignee, item.taken_at, item.ever_taken = (
                Status.TAKEN,
                assignee,
                now,
                True,
            )
        item.events.append(ev.ItemAdded(case_id, now))
        return item

    # -- response target ----------------------------------------------------

    def time_left(self, now: datetime) -> timedelta | None:
        """Time left to the class's target while the task waits for someone to take it;
        negative once past. None when nobody waits on it: taken (a professional is
        responsible), incomplete, emergency, closed, or a class without a target."""
        if self.status is not Status.FREE or self.response_due_at is None:
            return None
        return self.response_due_at - now

    def overdue(self, now: datetime) -> bool:
        left = self.time_left(now)
        return left is not None and left < timedelta(0)

    # -- visibility -------------------------------------------------------

    def visible_to(self, organisation_id: str) -> bool:
        """Professionals see only their own organisation's cases; removed items nobody."""
        return self.organisation_id == organisation_id and self.status is not Status.REMOVED

    def ensure_visible_to(self, organisation_id: str) -> None:
        if not self.visible_to(organisation_id):
            raise ItemNotFound("No such task.")

    # -- professionals' commands -----------------------------------------

    def take(self, professional_id: str, now: datetime) -> None:
        """Assign to me: leaves the free tasks; the group queue shows who is responsible."""
        self._ensure_open()
        self._ensure_not_emergency()
        if self.status is not Status.FREE:
            if self.assignee == professional_id:
                return  # taking one's own task again changes nothing
            raise AlreadyTaken("Another professional has already taken this task.")
        self.status, self.assignee, self.taken_at, self.ever_taken = (
            Status.TAKEN,
            professional_id,
            now,
            True,
        )
        self.events.append(ev.ItemTaken(self.case_id, professional_id, now))

    def transfer(
        self,
        by: str,
        *,
        to_professional_id: str | None = None,
        to_group_id: str | None = None,
        may_reassign: bool = False,
        now: datetime,
    ) -> None:
        """Hand the task to another professional (it becomes theirs) or a group (free there)."""
        if (to_professional_id is None) == (to_group_id is None):
            raise InvalidRequest("Transfer to exactly one professional or one group.")
        self._ensure_open()
        self._ensure_not_emergency()
        if self.immediate and to_group_id is not None:
            raise InvalidRequest("A P0 case never waits in a queue: transfer it to a professional.")
        was_incomplete = self.status is Status.INCOMPLETE
        if self.status in HANDLED and self.assignee != by and not may_reassign:
            raise NotAllowed("Only the professional handling the task may transfer it.")
        if to_professional_id is not None:
            if self.status in HANDLED and self.assignee == to_professional_id:
                raise InvalidRequest("The task is already with this professional.")
            self.status, self.assignee, self.taken_at, self.ever_taken = (
                Status.TAKEN,
                to_professional_id,
                now,
                True,
            )
        else:
            if self.status is Status.FREE and self.group_id == to_group_id:
                raise InvalidRequest("The task is already free in this group.")
            self.group_id, self.status, self.assignee, self.taken_at = (
                to_group_id,
                Status.FREE,
                None,
                None,
            )
        self.events.append(
            ev.ItemTransferred(self.case_id, by, to_professional_id, to_group_id, now)
        )
        # A transfer clears "incomplete" (domain.md): say so on the topic too.
        if was_incomplete:
            self.events.append(ev.IncompleteCleared(self.case_id, ClearCause.TRANSFERRED, now))

    def change_urgency(
        self,
        by: str,
        *,
        to: str,
        reason_code: str,
        explanation: str,
        policy: UrgencyPolicy,
        now: datetime,
    ) -> None:
        """Change the class of a task being handled; needs a reason; history is kept."""
        explanation = explanation.strip()
        if not reason_code or not explanation:
            raise InvalidRequest("Changing the urgency class needs a reason.")
        if len(explanation) > MAX_EXPLANATION:
            raise InvalidRequest(f"The explanation is longer than {MAX_EXPLANATION} characters.")
        if not policy.selectable(to):
            raise InvalidRequest("This urgency class is not in use in the organisation.")
        self._ensure_open()
        self._ensure_not_emergency()
        if self.status not in HANDLED:
            raise InvalidState("Only a task being handled (taken) can change urgency class.")
        if self.assignee != by:
            raise NotAllowed("Only the professional handling the task may change its urgency.")
        if to == self.urgency:
            raise InvalidRequest("The task already has this urgency class.")
        previous = self.urgency
        self.urgency_history.append(UrgencyChange(previous, to, reason_code, explanation, by, now))
        self.urgency, self.urgency_rank, self.immediate = (
            to,
            policy.rank(to),
            policy.immediate(to),
        )
        # The new class's target, still counted from the submission.
        self.response_due_at = response_due(self.submitted_at, policy.target(to))
        self.events.append(
            ev.UrgencyChanged(
                self.case_id, self.original_urgency, previous, to, reason_code, by, now
            )
        )

    def mark_incomplete(self, by: str, now: datetime) -> None:
        """The submission lacks information: the resident is asked to complete it."""
        self._ensure_open()
        self._ensure_not_emergency()
        if self.status is Status.INCOMPLETE:
            raise InvalidState("The task is already marked incomplete.")
        if self.status is not Status.TAKEN or self.assignee != by:
            raise NotAllowed("Only the professional who has taken the task may mark it incomplete.")
        if self.resident_proposed_closing:
            raise InvalidState("The resident has proposed closing; the task cannot be incomplete.")
        self.status = Status.INCOMPLETE
        self.events.append(ev.ItemMarkedIncomplete(self.case_id, self.resident_id, by, now))

    # -- reactions to case events -----------------------------------------

    def clear_incomplete(self, cause: ClearCause, now: datetime) -> None:
        """The resident acted (or the task moved): back to the default view. No-op otherwise."""
        if self.status is Status.INCOMPLETE:
            self.status = Status.TAKEN
            self.events.append(ev.IncompleteCleared(self.case_id, cause, now))

    def messages_changed(self, unread: int, *, resident_wrote: bool, now: datetime) -> None:
        """Messaging's latest unread count; a resident's message clears "incomplete"."""
        self.unread_messages = unread
        if resident_wrote:
            self.clear_incomplete(ClearCause.RESIDENT_MESSAGE, now)

    def resident_proposes_closing(self, now: datetime) -> None:
        self.resident_proposed_closing = True
        self.clear_incomplete(ClearCause.RESIDENT_PROPOSED_CLOSING, now)

    def resident_proposal_rejected(self) -> None:
        self.resident_proposed_closing = False

    def close(self, *, reason: str, closed_at: datetime, now: datetime) -> None:
        """Closed cases go to the closed queue; closed before taken by the resident: gone.

        Only the resident closing on their own (`resident_before_taken`) removes the
        item. A resident *accepting* a professional's proposal (`resident_accepted`)
        is closed by the resident too, but a professional worked the case, so it
        goes to the closed queue like every other closing — intake shows it closed.
        """
        if self.status in (Status.CLOSED, Status.REMOVED):
            return  # a second closing event changes nothing
        self.closing_reason, self.closed_at = reason, closed_at
        if not self.ever_taken and reason == RESIDENT_CLOSED_BEFORE_TAKEN:
            self.status = Status.REMOVED
            self.events.append(ev.ItemRemoved(self.case_id, now))
            return
        self.status = Status.CLOSED
        self.events.append(ev.ItemClosed(self.case_id, reason, now))

    def _ensure_open(self) -> None:
        if self.status is Status.REMOVED:
            raise ItemNotFound("No such task.")
        if self.status is Status.CLOSED:
            raise InvalidState("The case is closed.")

    def _ensure_not_emergency(self) -> None:
        if self.status is Status.EMERGENCY:
            raise InvalidState(
                "An emergency record is not a queue task: the resident was told to call "
                "the emergency number."
            )

    def pull_events(self) -> list[ev.DomainEvent]:
        events, self.events = self.events, []
        return events
