"""The development users' organisation, unit and group, and tokens signed with static local keys.

`make run` and `make demo` take their tokens from the local OpenID Connect issuer
(`careflow.local.issuer`, which signs with the keys in the same directory); the
benchmarks, which configure services with a JWKS file, mint theirs here.
"""

from __future__ import annotations

import json
from pathlib import Path

from careflow.shared.auth.claims import (
    AuthLevel,
    Principal,
    ProfessionalPrincipal,
    ResidentPrincipal,
)
from careflow.shared.auth.signing import JWKS_FILE, generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings

#: Where the development professionals work (the issuer's users and `make demo`).
DEV_ORGANISATION, DEV_UNIT, DEV_GROUP = "org-local", "unit-local", "nurses"


def local_token(keys: Path, principal: Principal, ttl: int = 12 * 3600) -> str:
    """A token signed with the newest local key (the one the JWKS lists last)."""
    kid = json.loads((keys / JWKS_FILE).read_text())["keys"][-1]["kid"]
    kid, private_key = load_signing_key(keys, kid)
    auth = AuthSettings()
    return mint_token(
        private_key, kid, principal, issuer=auth.issuer, audience=auth.audience, ttl=ttl
    )


def dev_token(keys: Path) -> str:
    """A professional (admin) token signed with the local key; keys made on first run."""
    if not (keys / JWKS_FILE).exists():
        generate_keypair(keys)
    principal = ProfessionalPrincipal(
        subject="dev-professional",
        organisation=DEV_ORGANISATION,
        unit=DEV_UNIT,
        groups=[DEV_GROUP],
        roles=["admin"],
    )
    return local_token(keys, principal)


def resident_token(keys: Path, subject: str, ttl: int = 3600) -> str:
    """A strongly authenticated resident's token, signed with the existing local key."""
    principal = ResidentPrincipal(subject=subject, auth_level=AuthLevel.STRONG)
    return local_token(keys, principal, ttl)
