"""Case events intake publishes on `intake.cases.v1`, keyed by case_id.

A case is the collaboration space between one resident and professionals
(domain.md "Cases"). Events carry ids, closed codes, dates and flags only:
no goal or task text, no form answers, no names. Consumers that must show text
(workqueue, the professional desktop) read it from intake's API.

Every event carries the pseudonymous `resident_id` so that the notification
service can address the resident without a lookup. A form saved privately by
the resident is never published: it never reaches professionals or a queue.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from careflow.contracts.base import ContractEvent
from careflow.contracts.common import (
    ClosingReason,
    ExternalId,
    FormKind,
    Identification,
    Language,
    ProfessionalCaseKind,
)
from careflow.contracts.urgency import IMMEDIATE_CODE, UrgencyClass, UrgencyRulesVersion

#: When a professional proposes closing, the resident may object within this window.
CLOSING_OBJECTION_WINDOW = timedelta(hours=72)


def objection_deadline(proposed_at: datetime) -> datetime:
    """The end of the resident's objection window for a professional's proposal."""
    return proposed_at + CLOSING_OBJECTION_WINDOW


class CaseEvent(ContractEvent):
    """Fields every case event carries."""

    key_field: ClassVar[str] = "case_id"

    case_id: UUID = Field(description="Id of the case; the Kafka key and ce_subject.")
    resident_id: UUID = Field(
        description="Pseudonymous id of the resident the case is about (not a personal id code)."
    )


class CaseSubmitted(CaseEvent):
    """A resident (or their guardian) submitted a form and a case was created."""

    event_type: ClassVar[str] = "careflow.case.submitted.v1"

    organisation_id: ExternalId = Field(description="Organisation that receives the case.")
    unit_id: ExternalId | None = Field(
        default=None, description="Unit the case is routed to, when the form targets one."
    )
    group_id: ExternalId | None = Field(
        default=None, description="Work-queue group the case is routed to, e.g. a unit's nurses."
    )
    form_kind: FormKind = Field(description="Kind of form submitted.")
    origin: Literal["resident", "professional"] = Field(
        default="resident",
        description="Who filled the form: the resident, or a professional with the resident.",
    )
    identification: Identification = Field(
        description="identified (strong authentication) or anonymous (no phone, no case page)."
    )
    proxy_contact: bool = Field(
        default=False, description="True when a guardian submitted for a child under 15."
    )
    guardian_id: UUID | None = Field(
        default=None,
        description="Pseudonymous id of the guardian who submitted for the child (set only "
        "with proxy_contact): notifications about the case use the guardian's contact "
        "details and consents, not the child's. Absent from events published before the field.",
    )
    language: Language = Field(description="Language of the form; the case keeps it for good.")
    urgency: UrgencyClass | None = Field(
        default=None,
        description="Urgency class intake computed from the symptom assessment's answers; "
        "None for other forms.",
    )
    urgency_rules: UrgencyRulesVersion | None = Field(
        default=None,
        description="Version of intake's rule set that computed `urgency`; "
        "None for other forms and for events published before rule sets were versioned.",
    )
    call_emergency_number: bool = Field(
        default=False,
        description="P0: the resident was told at submission to call the emergency number "
        "(112). The case must never wait as a free queue item. Older events lack the flag: "
        "treat urgency P0 the same.",
    )
    phone_contact_allowed: bool = Field(
        description="Whether a professional may phone the resident in this case "
        "(always False when anonymous)."
    )
    submitted_at: AwareDatetime = Field(description="When the resident submitted the form (UTC).")

    @model_validator(mode="after")
    def _rules(self) -> CaseSubmitted:
        if self.identification == "anonymous" and self.phone_contact_allowed:
            raise ValueError("an anonymous submission carries no phone permission")
        if self.guardian_id is not None and not self.proxy_contact:
            raise ValueError("guardian_id is set only for a proxy contact")
        if self.urgency is not None and self.form_kind != "symptom_assessment":
            raise ValueError("only a symptom assessment sets an urgency class")
        if self.urgency_rules is not None and self.urgency is None:
            raise ValueError("a rule-set version comes only with the urgency it computed")
        if self.call_emergency_number and self.urgency != IMMEDIATE_CODE:
            raise ValueError(f"only {IMMEDIATE_CODE} tells the resident to call 112")
        return self


class CaseCreatedByProfessional(CaseEvent):
    """A professional created a case for a resident."""

    event_type: ClassVar[str] = "careflow.case.created_by_professional.v1"

    organisation_id: ExternalId = Field(description="Organisation of the professional.")
    unit_id: ExternalId | None = Field(default=None, description="Unit the case belongs to.")
    group_id: ExternalId | None = Field(
        default=None, description="Work-queue group the case is routed to, if any."
    )
    kind: ProfessionalCaseKind = Field(description="What the professional created the case for.")
    created_by: ExternalId = Field(description="Id of the professional who created the case.")
    identification: Identification = Field(
        default="identified",
        description="anonymous only for pre-information invitations sent without strong "
        "authentication.",
    )
    proxy_contact: bool = Field(
        default=False, description="True when the case is handled by a child's guardian."
    )
    language: Language = Field(description="Language of the case.")
    created_at: AwareDatetime = Field(description="When the case was created (UTC).")


class ClosingProposed(CaseEvent):
    """The professional or the resident proposed closing the case."""

    event_type: ClassVar[str] = "careflow.case.closing_proposed.v1"

    proposal_id: UUID = Field(description="Id of the proposal; later events refer to it.")
    proposed_by: Literal["professional", "resident"] = Field(description="Who proposed.")
    professional_id: ExternalId | None = Field(
        default=None, description="The proposing professional; None when the resident proposed."
    )
    proposed_at: AwareDatetime = Field(description="When the proposal was made (UTC).")
    objection_deadline: AwareDatetime | None = Field(
        default=None,
        description="For a professional's proposal: proposed_at + 72 h; the case closes unless "
        "the resident objects by a message before it. None for a resident's proposal.",
    )

    @model_validator(mode="after")
    def _rules(self) -> ClosingProposed:
        by_professional = self.proposed_by == "professional"
        if by_professional != (self.professional_id is not None):
            raise ValueError("professional_id is set exactly when a professional proposed")
        if by_professional != (self.objection_deadline is not None):
            raise ValueError("objection_deadline is set exactly when a professional proposed")
        if self.objection_deadline is not None and self.objection_deadline <= self.proposed_at:
            raise ValueError("objection_deadline must be after proposed_at")
        return self


class ClosingObjected(CaseEvent):
    """The resident objected to a professional's closing proposal by a message."""

    event_type: ClassVar[str] = "careflow.case.closing_objected.v1"

    proposal_id: UUID = Field(description="The proposal objected to.")
    message_id: UUID | None = Field(
        default=None, description="The resident's message that objected (owned by messaging)."
    )
    objected_at: AwareDatetime = Field(description="When the objection arrived (UTC).")


class ClosingProposalRejected(CaseEvent):
    """A professional rejected the resident's closing proposal; the resident is notified."""

    event_type: ClassVar[str] = "careflow.case.closing_proposal_rejected.v1"

    proposal_id: UUID = Field(description="The resident's proposal that was rejected.")
    rejected_by: ExternalId = Field(description="Id of the professional who rejected it.")
    rejected_at: AwareDatetime = Field(description="When it was rejected (UTC).")


#: Who closes a case for each reason.
CLOSED_BY: dict[str, str] = {
    "resident_before_taken": "resident",
    "proposal_expired": "system",
    "resident_accepted": "resident",
    "professional_accepted": "professional",
    "professional_without_consent": "professional",
}


class CaseClosed(CaseEvent):
    """The case was closed; it cannot be reopened and stays readable for the retention period.

    A resident closing before a professional took the case is `reason =
    resident_before_taken`: the case then leaves every queue.
    """

    event_type: ClassVar[str] = "careflow.case.closed.v1"

    reason: ClosingReason = Field(description="Why the case was closed.")
    closed_by: Literal["resident", "professional", "system"] = Field(
        description="Who closed it; system when a proposal's objection window expired."
    )
    professional_id: ExternalId | None = Field(
        default=None, description="The professional who closed or whose proposal expired."
    )
    proposal_id: UUID | None = Field(
        default=None, description="The accepted or expired proposal, if the closing followed one."
    )
    closed_at: AwareDatetime = Field(description="When the case was closed (UTC).")

    @model_validator(mode="after")
    def _closer_matches_reason(self) -> CaseClosed:
        if CLOSED_BY[self.reason] != self.closed_by:
            raise ValueError(
                f"a case closed for {self.reason} is closed by {CLOSED_BY[self.reason]}"
            )
        return self


class TaskAssigned(CaseEvent):
    """A professional gave the resident a task (an action instruction or a questionnaire).

    The instruction's text stays in intake; the event says only that there is one.
    """

    event_type: ClassVar[str] = "careflow.case.task_assigned.v1"

    task_id: UUID = Field(description="Id of the task.")
    task_kind: Literal["action_instruction", "questionnaire"] = Field(
        description="A free-form action instruction or a request to fill a questionnaire."
    )
    assigned_by: ExternalId = Field(description="Id of the professional who assigned it.")
    start_date: date = Field(description="First day of the task (defaults to the day assigned).")
    latest_date: date | None = Field(
        default=None, description="Last day to do the task, if any; not before start_date."
    )
    assigned_at: AwareDatetime = Field(description="When the task was assigned (UTC).")

    @model_validator(mode="after")
    def _dates(self) -> TaskAssigned:
        if self.latest_date is not None and self.latest_date < self.start_date:
            raise ValueError("latest_date is before start_date")
        return self


class QuestionnaireFilled(CaseEvent):
    """The resident filled a questionnaire linked to the case (clears "incomplete")."""

    event_type: ClassVar[str] = "careflow.case.questionnaire_filled.v1"

    task_id: UUID | None = Field(
        default=None, description="The questionnaire task it answers, if it came from one."
    )
    filled_at: AwareDatetime = Field(description="When the resident sent the answers (UTC).")


GoalAuthor = Literal["professional", "resident", "together"]


class GoalSet(CaseEvent):
    """A goal was set in the case; the resident is notified of a new goal. Text stays in intake."""

    event_type: ClassVar[str] = "careflow.case.goal_set.v1"

    goal_id: UUID = Field(description="Id of the goal.")
    set_by: GoalAuthor = Field(description="Who set the goal.")
    professional_id: ExternalId | None = Field(
        default=None, description="The professional involved, unless the resident set it alone."
    )
    set_at: AwareDatetime = Field(description="When the goal was set (UTC).")


class GoalEdited(CaseEvent):
    """A goal's text was edited (goals are never deleted); a resident's edit clears "incomplete"."""

    event_type: ClassVar[str] = "careflow.case.goal_edited.v1"

    goal_id: UUID = Field(description="Id of the goal.")
    edited_by: Literal["professional", "resident"] = Field(description="Who edited the goal.")
    professional_id: ExternalId | None = Field(
        default=None, description="The editing professional; None when the resident edited."
    )
    edited_at: AwareDatetime = Field(description="When the goal was edited (UTC).")


class CoachingAttached(CaseEvent):
    """A health coaching was tied to the case; the resident is notified."""

    event_type: ClassVar[str] = "careflow.case.coaching_attached.v1"

    coaching_id: UUID = Field(description="Id of the coaching.")
    attached_by: ExternalId = Field(description="Id of the professional who attached it.")
    attached_at: AwareDatetime = Field(description="When it was attached (UTC).")


class CoachingEnded(CaseEvent):
    """A coaching of the case ended; closing the case ends every ongoing coaching."""

    event_type: ClassVar[str] = "careflow.case.coaching_ended.v1"

    coaching_id: UUID = Field(description="Id of the coaching.")
    reason: Literal["case_closed", "ended_by_professional", "completed"] = Field(
        description="Why the coaching ended."
    )
    ended_at: AwareDatetime = Field(description="When it ended (UTC).")


CASE_EVENTS: tuple[type[CaseEvent], ...] = (
    CaseSubmitted,
    CaseCreatedByProfessional,
    ClosingProposed,
    ClosingObjected,
    ClosingProposalRejected,
    CaseClosed,
    TaskAssigned,
    QuestionnaireFilled,
    GoalSet,
    GoalEdited,
    CoachingAttached,
    CoachingEnded,
)
