"""Reactions to messaging's case-message events: a resident's message that objects to a
professional's closing proposal records the objection (domain.md "Closing": the resident
must object by a message within 72 hours), so the case stays open past the deadline.

The message event says when the resident wrote; the window is judged by that time, not by
when the event arrived here. A message messaging accepted as an objection that intake's
rules refuse (the proposal was already answered, the case closed meanwhile) changes
nothing: it stays a message, and a redelivery finds the proposal already objected to.
"""

from __future__ import annotations

import logging

from careflow.contracts.messages import MessageSent
from careflow.intake.application.case_changes import save_case
from careflow.intake.application.ports import UnitOfWork
from careflow.intake.domain.errors import DomainError

log = logging.getLogger(__name__)


async def on_message_sent(event: MessageSent, uow: UnitOfWork) -> None:
    """Records the resident's objection the message carries; other messages are not intake's."""
    if event.author != "resident" or event.objects_to_proposal_id is None:
        return
    case = await uow.cases.get(event.case_id, lock=True)
    if case is None or case.resident_id != event.resident_id:
        # Messaging learned the case from intake's own events: a missing case is a bug
        # elsewhere, and nothing here can be decided for it.
        log.warning("an objection message names a case intake does not know")
        return
    try:
        case.object_to_closing(event.objects_to_proposal_id, event.sent_at, event.message_id)
    except DomainError as refused:
        log.info("objection by message not recorded: %s", type(refused).__name__)
        return
    await save_case(uow, case)
