"""Refusals of the complaints rules; `detail` is safe to show (never quotes input)."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse (409 unless the app's table says otherwise)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """Nothing the caller may see is there; whether it exists for others is not said."""


class NotAllowed(DomainError):
    """The caller's role or place does not cover this resource."""


class InvalidInput(DomainError):
    """Input the request's schema already rules out (checked again by the rule itself)."""


class Refused(DomainError):
    """Well-formed input the current state refuses: an HSA-id the directory does not
    show activated in the region, a clinic not in the service, an answered case (409:
    the same request may succeed once the state changes)."""


class ServiceClosed(DomainError):
    """The region's patient board is not set: the service is not open to its residents."""


class HandledElsewhere(DomainError):
    """The case is handled in the clinic's own system, not in this staff view."""


class DirectoryUnavailable(DomainError):
    """The e-services directory did not answer; nothing was changed."""
