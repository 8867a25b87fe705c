"""The case aggregate: one resident's collaboration space with professionals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from careflow.intake.domain import events as ev
from careflow.intake.domain.closing import ClosingRules
from careflow.intake.domain.collaboration import CollaborationRules
from careflow.intake.domain.errors import ClosedWithoutConsent, InvalidInput, WrongState
from careflow.intake.domain.forms import LANGUAGES, Admission, FormSubmission
from careflow.intake.domain.sections import (
    Closing,
    ClosingProposal,
    Coaching,
    Goal,
    Task,
)
from careflow.intake.domain.urgency_rules import EMERGENCY, rule_set

PROFESSIONAL_KINDS = (
    "health_examination",
    "wellbeing_check",
    "pre_information_invitation",
    "appointment",
    "chat_conversation",  # opened at messaging's request for a chat moved to non-urgent
)
Party = Literal["professional", "resident"]


@dataclass
class Case(ClosingRules, CollaborationRules):
    id: UUID
    resident_id: UUID
    organisation_id: str
    kind: str
    origin: Party
    identification: Literal["identified", "anonymous"]
    language: str  # set at creation, never changed afterwards
    created_at: datetime
    unit_id: str | None = None
    group_id: str | None = None
    form_id: str | None = None
    proxy_contact: bool = False
    submitted_by: UUID | None = None
    created_by: str | None = None
    urgency: str | None = None
    urgency_rules: str | None = None  # version of the rule set that computed `urgency`
    phone_contact_allowed: bool = False
    private: bool = False
    results: dict[str, Any] | None = None
    taken_by: str | None = None
    taken_at: datetime | None = None
    summary: str | None = None
    closing: Closing | None = None
    proposals: list[ClosingProposal] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    coachings: list[Coaching] = field(default_factory=list)
    events: list[ev.DomainEvent] = field(default_factory=list, repr=False)

    # -- creation -------------------------------------------------------------

    @classmethod
    def submit(
        cls,
        form: FormSubmission,
        admission: Admission,
        results: dict[str, Any] | None,
        now: datetime,
        case_id: UUID | None = None,
    ) -> Case:
        """A case (or a private record) from a resident's form that passed `admit`."""
        case = cls(
            id=case_id or uuid.uuid4(),
            resident_id=admission.resident_id,
            organisation_id=form.organisation_id,
            unit_id=form.unit_id,
            group_id=form.group_id,
            kind=form.kind,
            form_id=form.form_id,
            origin="resident",
            identification=admission.identification,
            proxy_contact=admission.proxy_contact,
            submitted_by=admission.submitted_by,
            language=form.language,
            urgency=admission.urgency,
            urgency_rules=admission.urgency_rules,
            phone_contact_allowed=admission.phone_contact_allowed,
            private=admission.private,
            results=results,
            created_at=now,
        )
        case.events.append(ev.CaseOpened(now))
        return case

    @classmethod
    def create_for_resident(
        cls,
        *,
        resident_id: UUID,
        kind: str,
        language: str,
        professional_id: str,
        organisation_id: str,
        unit_id: str | None,
        group_id: str | None,
        now: datetime,
        case_id: uuid.UUID | None = None,
    ) -> Case:
        """A professional creates a case; the creator is responsible for it from the start.

        `case_id`: given when the id is derived from what asked for the case (a chat), so a
        repeated request finds the case it opened."""
        if kind not in PROFESSIONAL_KINDS:
            raise InvalidInput("unknown case kind")
        if language not in LANGUAGES:
            raise InvalidInput("language must be fi, sv or en")
        case = cls(
            id=case_id or uuid.uuid4(),
            resident_id=resident_id,
            organisation_id=organisation_id,
            unit_id=unit_id,
            group_id=group_id,
            kind=kind,
            origin="professional",
            identification="identified",
            language=language,
            created_by=professional_id,
            taken_by=professional_id,
            taken_at=now,
            created_at=now,
        )
        case.events.append(ev.CaseCreated(now, professional_id))
        return case

    # -- state ----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.closing is not None

    @property
    def call_emergency_number(self) -> bool:
        """P0: the resident was told at submission to call the emergency number."""
        return self.urgency == EMERGENCY

    @property
    def urgency_basis(self) -> tuple[str, ...]:
        """The rules that gave the class, recomputed from the stored answers and version."""
        if self.urgency_rules is None or self.results is None:
            return ()
        return rule_set(self.urgency_rules).assess(self.results).matched

    @property
    def pending_proposal(self) -> ClosingProposal | None:
        return next((p for p in self.proposals if p.state == "pending"), None)

    @property
    def guardian_id(self) -> UUID | None:
        """The guardian who submitted for the child (proxy contact), if any."""
        return self.submitted_by if self.proxy_contact else None

    @property
    def contact_id(self) -> UUID:
        """Whose customer information the case uses (phone, consents, notifications):
        the guardian's for a proxy contact, else the resident's."""
        return self.guardian_id or self.resident_id

    @property
    def closes_at(self) -> datetime | None:
        """When the case closes by itself unless the resident objects first."""
        proposal = self.pending_proposal
        return proposal.deadline if proposal is not None and not self.closed else None

    @property
    def hidden_from_professionals(self) -> bool:
        """Private records, and cases the resident closed before anyone took them."""
        return self.private or (
            self.closing is not None and self.closing.reason == "resident_before_taken"
        )

    def pull_events(self) -> list[ev.DomainEvent]:
        pulled, self.events = self.events, []
        return pulled

    @property
    def resident_may_answer(self) -> bool:
        """Whether the resident can still accept, object, reply or add to the case."""
        return self.identification == "identified" and not self.closed

    def require_resident_may_answer(self) -> None:
        """Messaging asks the same before taking a resident's reply."""
        if self.closing is not None and self.closing.reason == "professional_without_consent":
            raise ClosedWithoutConsent()
        self._require_open()

    def _require_open(self) -> None:
        if self.closed:
            raise WrongState("the case is closed")

    def _require_shared(self) -> None:
        if self.private:
            raise WrongState("a private record is not shared with professionals")

    # -- queue ----------------------------------------------------------------

    def mark_taken(self, professional_id: str, at: datetime) -> None:
        """A professional took the case from the queue; late news about a closed case is moot."""
        if self.closed or self.taken_by == professional_id:
            return
        self.taken_by, self.taken_at = professional_id, at
        self.events.append(ev.CaseTaken(at, professional_id))
