"""The local signing keys of `make run` and a ready-made token for trying the APIs."""

from __future__ import annotations

import json
from pathlib import Path

from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.signing import JWKS_FILE, generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings


def dev_token(keys: Path) -> str:
    """A professional (admin) token signed with the local key; keys made on first run."""
    if not (keys / JWKS_FILE).exists():
        generate_keypair(keys)
    kid = json.loads((keys / JWKS_FILE).read_text())["keys"][-1]["kid"]
    kid, private_key = load_signing_key(keys, kid)
    principal = ProfessionalPrincipal(
        subject="dev-professional",
        organisation="org-local",
        unit="unit-local",
        groups=["nurses"],
        roles=["admin"],
    )
    auth = AuthSettings()
    return mint_token(
        private_key, kid, principal, issuer=auth.issuer, audience=auth.audience, ttl=12 * 3600
    )
