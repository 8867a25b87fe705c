"""Reactions to complaints' own routing events: a case routed to a clinic with its own
case-handling system gets its delivery.

Scheduled from the event, not in the submission's transaction, so the integration
reads the same stream every other reader of `complaints.cases.v1` does, with the
platform consumer's guarantees: the inbox makes a redelivered event schedule once,
and an event that does not fit its contract goes to the dead-letter topic with the
reason instead of blocking the partition.
"""

from __future__ import annotations

import logging

from careflow.complaints.application.context import Context
from careflow.complaints.application.ports import UnitOfWork
from careflow.contracts.complaints import ComplaintRetargeted, ComplaintSubmitted

logger = logging.getLogger(__name__)


async def on_routed(
    event: ComplaintSubmitted | ComplaintRetargeted, uow: UnitOfWork, ctx: Context
) -> None:
    """Schedules the case's delivery to the system the catalogue names for its clinic."""
    if event.handled_in != "own_system":
        return
    endpoint = await uow.catalogue.get(event.place_hsa_id)
    if endpoint is None:
        # Taken out of the catalogue after routing: the case stays undelivered and
        # visible as such (no delivery row); nothing a retry could fix.
        logger.warning("case routed to an own system that left the catalogue")
        return
    await uow.deliveries.schedule(event.case_id, endpoint.url, ctx.clock())
