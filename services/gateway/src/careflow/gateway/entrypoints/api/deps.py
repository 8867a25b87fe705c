"""Dependencies of the gateway's own routes: the container and the edge's rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from careflow.gateway.bootstrap import Container
from careflow.shared.auth.dependencies import CurrentPrincipal
from careflow.shared.http.problems import Problem


async def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


Wiring = Annotated[Container, Depends(container)]


async def within_rate_limits(request: Request, principal: CurrentPrincipal, wiring: Wiring) -> None:
    """The same limits as proxied requests (after the token: the gateway's own routes
    all need one, so a caller without gets its 401 first)."""
    if not wiring.settings.rate_limit.enabled:
        return
    address = request.client.host if request.client else None
    wait = await wiring.limiter.admit(principal.subject, address)
    if wait is not None:
        raise Problem(
            429,
            detail="Too many requests; retry after the time Retry-After gives.",
            headers={"Retry-After": str(wait)},
        )


RateLimited = Depends(within_rate_limits)
__all__ = ["RateLimited", "Wiring"]
