"""Why the domain refused a command; entry points map each kind to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the work queue refused the command; nothing changed."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ItemNotFound(DomainError):
    """No visible queue item for this case (unknown, removed, or another organisation's)."""


class AlreadyTaken(DomainError):
    """Another professional took the task first."""


class NotAllowed(DomainError):
    """The caller may not do this to this task (e.g. it is not their task)."""


class InvalidState(DomainError):
    """The task is not in a state that allows this (e.g. closed, not yet taken)."""


class InvalidRequest(DomainError):
    """The command itself is not valid (e.g. no reason given, unknown urgency class)."""
