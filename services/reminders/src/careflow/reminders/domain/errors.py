"""Refusals of the reminder rules. Messages are written here and never quote input."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request (409 unless the status table says otherwise)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """No such resource, or not one the caller may see (existence is not disclosed)."""


class NotAllowed(DomainError):
    """The caller may not do this."""


class InvalidInput(DomainError):
    """The request breaks a rule about its content (422)."""


class NoContactForChannel(InvalidInput):
    def __init__(self, channel: str) -> None:
        super().__init__(f"The resident has no contact data for the channel '{channel}'.")
        self.channel = channel


class DueDateInPast(InvalidInput):
    def __init__(self) -> None:
        super().__init__("The due date is in the past.")


class NoTimeToSend(InvalidInput):
    def __init__(self) -> None:
        super().__init__("A send time is too soon: it leaves no time to send the reminder.")
