"""Closing a case: before taken, by proposal and 72-hour window, or without consent."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal
from uuid import UUID

from careflow.intake.domain import events as ev
from careflow.intake.domain.errors import NotFound, NotPermitted, WrongState
from careflow.intake.domain.sections import (
    OBJECTION_WINDOW,
    Closing,
    ClosingProposal,
)
from careflow.intake.domain.text import (
    CLOSING_REASON_MAX,
    plain_text,
)

Party = Literal["professional", "resident"]


class ClosingRules:
    """Closing operations of the case aggregate."""

    # -- closing --------------------------------------------------------------

    def close_before_taken(self, now: datetime) -> None:
        """The resident withdraws the case before a professional took it."""
        self._require_open()
        if self.taken_by is not None:
            raise WrongState("a professional has already taken the case; propose closing instead")
        self._close(now, "resident_before_taken", "resident", None, None)

    def propose_closing(self, by: Party, now: datetime, professional_id: str | None = None) -> UUID:
        if by == "resident":
            self.require_resident_may_answer()
        self._require_open()
        self._require_shared()
        if self.pending_proposal is not None:
            raise WrongState("a closing proposal is already pending")
        if self.identification == "anonymous" and by == "professional":
            # Nobody could object: an anonymous sender has no case page.
            raise WrongState("an anonymous case cannot wait for the resident's answer")
        deadline = now + OBJECTION_WINDOW if by == "professional" else None
        proposal = ClosingProposal(
            uuid.uuid4(), by, professional_id if by == "professional" else None, now, deadline
        )
        self.proposals.append(proposal)
        self.events.append(
            ev.ClosingWasProposed(now, proposal.id, by, proposal.professional_id, deadline)
        )
        return proposal.id

    def _proposal(self, proposal_id: UUID, proposed_by: Party) -> ClosingProposal:
        self._require_open()
        proposal = next((p for p in self.proposals if p.id == proposal_id), None)
        if proposal is None:
            raise NotFound("no such closing proposal")
        if proposal.proposed_by != proposed_by:
            raise NotPermitted(f"only the other party answers a {proposal.proposed_by}'s proposal")
        if proposal.state != "pending":
            raise WrongState("the closing proposal is no longer pending")
        return proposal

    def object_to_closing(
        self, proposal_id: UUID, now: datetime, message_id: UUID | None = None
    ) -> None:
        """The resident objects within 72 hours of a professional's proposal."""
        self.require_resident_may_answer()
        proposal = self._proposal(proposal_id, "professional")
        assert proposal.deadline is not None
        if now >= proposal.deadline:
            raise WrongState("the 72-hour objection window has passed")
        proposal.state, proposal.resolved_at, proposal.message_id = "objected", now, message_id
        self.events.append(ev.ClosingWasObjected(now, proposal.id, message_id))

    def accept_closing(self, proposal_id: UUID, now: datetime) -> None:
        """The resident agrees to a professional's proposal before the window ends."""
        self.require_resident_may_answer()
        proposal = self._proposal(proposal_id, "professional")
        assert proposal.deadline is not None
        if now >= proposal.deadline:
            raise WrongState("the 72-hour window has passed")
        proposal.state, proposal.resolved_at = "accepted", now
        self._close(now, "resident_accepted", "resident", proposal.professional_id, proposal.id)

    def reject_closing(self, proposal_id: UUID, professional_id: str, now: datetime) -> None:
        """A professional rejects the resident's proposal; the resident is notified."""
        proposal = self._proposal(proposal_id, "resident")
        proposal.state, proposal.resolved_at = "rejected", now
        self.events.append(ev.ClosingProposalWasRejected(now, proposal.id, professional_id))

    def accept_resident_proposal(
        self, proposal_id: UUID, professional_id: str, now: datetime
    ) -> None:
        proposal = self._proposal(proposal_id, "resident")
        proposal.state, proposal.resolved_at = "accepted", now
        self._close(now, "professional_accepted", "professional", professional_id, proposal.id)

    def expire_proposal(self, now: datetime) -> bool:
        """Closes the case if a professional's proposal went unanswered for 72 hours."""
        proposal = self.pending_proposal
        if self.closed or proposal is None or proposal.deadline is None:
            return False
        if now < proposal.deadline:
            return False
        proposal.state, proposal.resolved_at = "expired", now
        self._close(now, "proposal_expired", "system", proposal.professional_id, proposal.id)
        return True

    def close_without_consent(self, professional_id: str, statement: str, now: datetime) -> None:
        """The professional closes after telling the resident why; no answer is possible."""
        self._require_open()
        self._require_shared()
        text = plain_text(statement, field="reason", max_length=CLOSING_REASON_MAX)
        pending = self.pending_proposal
        if pending is not None:
            pending.state, pending.resolved_at = "superseded", now
        self._close(now, "professional_without_consent", "professional", professional_id, None)
        assert self.closing is not None
        self.closing.statement = text

    def _close(
        self,
        now: datetime,
        reason: str,
        closed_by: Literal["resident", "professional", "system"],
        professional_id: str | None,
        proposal_id: UUID | None,
    ) -> None:
        self.closing = Closing(reason, closed_by, professional_id, proposal_id, now)
        self.events.append(ev.CaseWasClosed(now, reason, closed_by, professional_id, proposal_id))
        # Closing ends coaching; bookings stay valid.
        for coaching in self.coachings:
            if coaching.ongoing:
                coaching.ended_at, coaching.end_reason = now, "case_closed"
                self.events.append(ev.CoachingWasEnded(now, coaching.id, "case_closed"))
