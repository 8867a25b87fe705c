"""Who is calling, from the bearer token, with the platform's verifier (the one the
service kit puts on `app.state.token_verifier`), and the refusals as problems."""

from __future__ import annotations

from starlette.responses import Response

from careflow.gateway.domain.routing import Caller, Refusal
from careflow.shared.auth.claims import (
    AuthLevel,
    Principal,
    ProfessionalPrincipal,
    ResidentPrincipal,
)
from careflow.shared.auth.verify import AuthenticationError, TokenVerifier
from careflow.shared.http.problems import problem_response


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def principal_of(verifier: TokenVerifier, token: str | None) -> tuple[Principal | None, bool]:
    """(the principal, whether a token was presented at all). `authenticate`, not
    `verify`: a kid nobody knows yet (the issuer rotated its key) fetches the keys."""
    if token is None:
        return None, False
    try:
        return await verifier.authenticate(token), True
    except AuthenticationError:
        return None, True


def caller_of(principal: Principal | None) -> Caller | None:
    if principal is None:
        return None
    if isinstance(principal, ProfessionalPrincipal):
        return Caller("professional", frozenset(principal.roles))
    if isinstance(principal, ResidentPrincipal):
        return Caller("resident", strong=principal.auth_level is AuthLevel.STRONG)
    return Caller("service")


def refusal_response(refusal: Refusal, token_presented: bool) -> Response:
    headers = {}
    if refusal.status == 401:
        # RFC 6750 §3: no error code when the request carried no token at all.
        headers["WWW-Authenticate"] = (
            'Bearer error="invalid_token"' if token_presented else "Bearer"
        )
    return problem_response(refusal.status, detail=refusal.detail, headers=headers)


def too_many(wait: int) -> Response:
    return problem_response(
        429,
        detail="Too many requests; retry after the time Retry-After gives.",
        headers={"Retry-After": str(wait)},
    )
