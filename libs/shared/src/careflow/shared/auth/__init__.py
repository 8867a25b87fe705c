"""Authentication: who is calling, proven by a bearer JWT.

FastAPI dependencies live in `careflow.shared.auth.dependencies` and the local
token tool in `careflow.shared.auth.mint`; neither is imported here, so
workers can use the claim models without pulling in the web stack.
"""

from careflow.shared.auth.claims import (
    AuthLevel,
    Child,
    Principal,
    ProfessionalPrincipal,
    ResidentPrincipal,
    ServicePrincipal,
    parse_principal,
)
from careflow.shared.auth.issuer_keys import IssuerKeys
from careflow.shared.auth.keys import KeyLoadError, VerificationKey, load_keys
from careflow.shared.auth.verify import AuthenticationError, Reason, TokenVerifier

__all__ = [
    "AuthLevel",
    "AuthenticationError",
    "Child",
    "IssuerKeys",
    "KeyLoadError",
    "Principal",
    "ProfessionalPrincipal",
    "Reason",
    "ResidentPrincipal",
    "ServicePrincipal",
    "TokenVerifier",
    "VerificationKey",
    "load_keys",
    "parse_principal",
]
