"""Refusals of messaging's rules; `entrypoints.api.app.STATUSES` maps them to HTTP statuses.

Messages are written by the rules and never quote input (they become problem details).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule refusal in messaging."""


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""


class NotAllowed(DomainError):
    """The caller is known but may not do this to this resource."""


class InvalidRequest(DomainError):
    """The request breaks a rule of its content (beyond what the schema states)."""


class InvalidState(DomainError):
    """The resource is not in a state that allows this."""


class SendLimitReached(DomainError):
    """The sender posted as much as the limit allows; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many messages in a short time; try again later.")
        self.retry_after = retry_after
