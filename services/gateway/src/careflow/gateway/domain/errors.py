"""Refusals of the gateway's own rules; the table in `entrypoints/api/app.py` makes them
problem details. Messages never quote input."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the gateway refused the request."""


class InvalidInput(DomainError):
    """The request names something no rule can read (422)."""


class UpstreamUnavailable(DomainError):
    """A service did not answer (connection refused or reset): 503."""


class UpstreamTimeout(DomainError):
    """A service did not answer in time: 504."""


class BadUpstream(DomainError):
    """A service answered something the gateway cannot use: 502."""
