"""FastAPI dependencies that authenticate the caller and check its kind and roles.

The verifier is read from `request.app.state.token_verifier`, which the
service's lifespan sets, so importing a routes module builds nothing. Routes
declare what they need with the `Annotated` aliases:

    @router.get("/cases")
    async def list_cases(user: Professional) -> ...: ...

    Nurse = Annotated[ProfessionalPrincipal, Depends(require_professional(roles={"nurse"}))]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from careflow.shared.auth.claims import (
    AuthLevel,
    Principal,
    ProfessionalPrincipal,
    ResidentPrincipal,
    ServicePrincipal,
)
from careflow.shared.auth.verify import AuthenticationError, TokenVerifier
from careflow.shared.http.problems import Problem

# auto_error=False: a missing header must become our 401 problem, not
# FastAPI's plain 403; the scheme still shows up in OpenAPI.
_bearer = HTTPBearer(auto_error=False)
#: The bearer credentials as sent, unverified: for a route's one dependency that calls
#: `current_principal` itself (each dependency layer costs FastAPI's solving per request).
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _unauthenticated(error: str | None) -> Problem:
    # RFC 6750 §3: no error code when the request carried no token at all.
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return Problem(
        401,
        detail="A valid bearer access token is required.",
        headers={"WWW-Authenticate": challenge},
    )


def _forbidden(detail: str) -> Problem:
    return Problem(403, detail=detail)


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
    if verifier is None:
        # A wiring bug, not the caller's fault: let it surface as a 500.
        raise RuntimeError("app.state.token_verifier is not set; set it in the app's lifespan")
    return verifier


async def current_principal(request: Request, credentials: BearerCredentials) -> Principal:
    """The authenticated caller, of any kind; 401 problem otherwise."""
    verifier = _verifier(request)
    if credentials is None:
        raise _unauthenticated(None)
    try:
        return await verifier.authenticate(credentials.credentials)
    except AuthenticationError:
        raise _unauthenticated("invalid_token") from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_professional(
    roles: Collection[str] = (),
) -> Callable[..., Awaitable[ProfessionalPrincipal]]:
    """Dependency: a professional holding at least one of `roles` (any role if empty)."""
    wanted = frozenset(roles)

    async def dependency(principal: CurrentPrincipal) -> ProfessionalPrincipal:
        if not isinstance(principal, ProfessionalPrincipal):
            raise _forbidden("Only professionals may use this resource.")
        if wanted and wanted.isdisjoint(principal.roles):
            raise _forbidden("A role this resource needs is missing.")
        return principal

    return dependency


async def require_resident(principal: CurrentPrincipal) -> ResidentPrincipal:
    """Dependency: a resident at any authentication level."""
    if not isinstance(principal, ResidentPrincipal):
        raise _forbidden("Only residents may use this resource.")
    return principal


async def require_strong_resident(
    principal: Annotated[ResidentPrincipal, Depends(require_resident)],
) -> ResidentPrincipal:
    """Dependency: a resident who logged in with strong authentication."""
    if principal.auth_level is not AuthLevel.STRONG:
        raise _forbidden("This resource needs strong authentication.")
    return principal


async def require_service(principal: CurrentPrincipal) -> ServicePrincipal:
    """Dependency: another system."""
    if not isinstance(principal, ServicePrincipal):
        raise _forbidden("Only services may use this resource.")
    return principal


Professional = Annotated[ProfessionalPrincipal, Depends(require_professional())]
Resident = Annotated[ResidentPrincipal, Depends(require_resident)]
StrongResident = Annotated[ResidentPrincipal, Depends(require_strong_resident)]
Service = Annotated[ServicePrincipal, Depends(require_service)]
