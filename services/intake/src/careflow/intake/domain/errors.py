"""Why the domain refuses a command; entry points map each kind to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the command; the message is safe to show (never quotes input)."""


class InvalidInput(DomainError):
    """The command is malformed for this rule (422)."""


class NotPermitted(DomainError):
    """The actor may not do this (403)."""


class NotFound(DomainError):
    """No such case, goal, task, coaching or proposal visible to the actor (404)."""


class WrongState(DomainError):
    """The case is not in a state that allows this (409)."""


class ClosedWithoutConsent(WrongState):
    """The professional closed the case without the resident's consent: no answer is taken."""

    def __init__(self) -> None:
        super().__init__(
            "a professional closed this case without consent, after telling why; "
            "it can no longer be accepted, objected to or replied to"
        )
