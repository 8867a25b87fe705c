"""Errors of the notification domain: how a send failed, and refused requests."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse; `detail` is safe to show (no personal data)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """Nothing the caller may read is there; whether it exists for others is not said."""


class NotAllowed(DomainError):
    """The caller may not see this resident's communication."""


class InvalidInput(DomainError):
    """The request names something this service could not have given (e.g. a page cursor)."""


class SendError(Exception):
    """A channel could not take a message; `code` is a short, non-personal label."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class TransientSendError(SendError):
    """The server or provider is down or overloaded: retry with backoff."""


class PermanentSendError(SendError):
    """Retrying cannot help (address refused, request rejected): record the failure."""
