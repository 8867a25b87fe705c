"""Local signing keys and token minting, for development, tests and the local runtime.

`generate_keypair` writes `<kid>.private.pem` (mode 0600), `<kid>.public.pem`
and adds the public key to `jwks.json`, which `AuthSettings.jwks_path` can
point at. The kid is `<alg>-<RFC 7638 thumbprint>`: it names the key, not the
moment, and never starts with "-" (a bare base64url thumbprint sometimes
does, and argparse then takes `--kid -xyz` for a missing value). Production
tokens come from the identity provider, never from here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from careflow.shared.auth.claims import Principal

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

GENERATORS: dict[str, Callable[[], PrivateKey]] = {
    "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
}
# RFC 7638 §3.2: the members that define each key type's thumbprint.
_THUMBPRINT_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}
JWKS_FILE = "jwks.json"


def signing_algorithm(private_key: PrivateKey) -> str:
    """The JWS algorithm a generated key of this type signs with."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return "ES256"
    return "EdDSA"


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK."""
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_jwk(private_key: PrivateKey) -> dict[str, Any]:
    """The public JWK of `private_key`, with `<alg>-<thumbprint>` as kid."""
    algorithm = signing_algorithm(private_key)
    jwk: dict[str, Any] = jwt.get_algorithm_by_name(algorithm).to_jwk(
        private_key.public_key(), as_dict=True
    )
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    kid = f"{algorithm.lower()}-{jwk_thumbprint(members)}"
    return {**members, "kid": kid, "use": "sig", "alg": algorithm}


def generate_keypair(directory: Path, algorithm: str = "RS256") -> str:
    """Create a signing key pair in `directory`, add it to its JWKS, return the kid."""
    private_key = GENERATORS[algorithm]()
    jwk = public_jwk(private_key)
    kid = jwk["kid"]
    directory.mkdir(parents=True, exist_ok=True)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created 0600 from the start: never readable by others, not even briefly.
    fd = os.open(directory / f"{kid}.private.pem", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(private_pem)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (directory / f"{kid}.public.pem").write_bytes(public_pem)
    jwks_path = directory / JWKS_FILE
    jwks = json.loads(jwks_path.read_text()) if jwks_path.exists() else {"keys": []}
    jwks["keys"] = [key for key in jwks["keys"] if key.get("kid") != kid] + [jwk]
    jwks_path.write_text(json.dumps(jwks, indent=2) + "\n")
    return kid


def load_signing_key(directory: Path, kid: str | None = None) -> tuple[str, PrivateKey]:
    """Read a private key written by `generate_keypair`; `kid` may be omitted if there is one."""
    if kid is None:
        found = sorted(directory.glob("*.private.pem"))
        if len(found) != 1:
            raise ValueError(f"{len(found)} private keys in {directory}; name one with its kid")
        kid = found[0].name.removesuffix(".private.pem")
    key = serialization.load_pem_private_key(
        (directory / f"{kid}.private.pem").read_bytes(), password=None
    )
    if not isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise ValueError(f"key {kid} is not an RSA, EC or Ed25519 private key")
    return kid, key


def mint_token(
    private_key: PrivateKey,
    kid: str,
    principal: Principal,
    *,
    issuer: str,
    audience: str | list[str],
    ttl: int = 3600,
    now: datetime | None = None,
) -> str:
    """Sign an access token (RFC 9068 `typ`) for `principal`, valid for `ttl` seconds."""
    issued = now or datetime.now(UTC)
    claims = principal.to_claims() | {
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(
        claims,
        private_key,
        algorithm=signing_algorithm(private_key),
        headers={"kid": kid, "typ": "at+jwt"},
    )
