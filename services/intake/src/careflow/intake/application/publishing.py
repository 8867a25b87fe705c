"""Queuing contract events in the unit of work's outbox, refusing what a contract refuses."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from careflow.contracts.base import ContractEvent
from careflow.intake.application.ports import UnitOfWork
from careflow.intake.domain.errors import InvalidInput


def publish(uow: UnitOfWork, events: Iterable[ContractEvent]) -> None:
    """Adds the events to the outbox (the caller commits).

    The events are built from what a user sent (an address, a token's subject):
    a value the contract refuses is the request's fault, a 422 and never a 500.
    Only the event's and the fields' names are kept: pydantic's message and the
    error itself quote the value, and an unhandled error's log would carry it.
    """
    try:
        for event in events:
            uow.outbox.add(event)
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        raise InvalidInput(
            f"{', '.join(fields) or 'a value'} does not fit the {exc.title} event"
        ) from None
