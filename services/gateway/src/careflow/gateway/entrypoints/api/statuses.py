"""Every refusal of the gateway's rules as an HTTP status (other DomainErrors: 409)."""

from __future__ import annotations

from careflow.gateway.domain.errors import (
    BadUpstream,
    DomainError,
    InvalidInput,
    UpstreamTimeout,
    UpstreamUnavailable,
)

STATUSES: dict[type[Exception], int] = {
    InvalidInput: 422,
    BadUpstream: 502,
    UpstreamUnavailable: 503,
    UpstreamTimeout: 504,
}


def status_of(error: DomainError) -> int:
    return next((STATUSES[k] for k in type(error).__mro__ if k in STATUSES), 409)
