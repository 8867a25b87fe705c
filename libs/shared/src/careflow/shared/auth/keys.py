"""Verification keys: the public keys tokens are checked against, by key id.

Keys come from `AuthSettings.public_keys` (PEM public keys or X.509
certificates by kid) and from the JWKS file at `AuthSettings.jwks_path`. Only
asymmetric public keys are accepted, and each key records the JWS algorithms
its type can verify, so a token can never choose how its key is used (the
classic RS256 → HS256 confusion needs exactly that).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from careflow.shared.settings import AuthSettings

PublicKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)

_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_EC_ALGORITHMS = {
    "secp256r1": frozenset({"ES256"}),
    "secp384r1": frozenset({"ES384"}),
    "secp521r1": frozenset({"ES512", "ES521"}),
    "secp256k1": frozenset({"ES256K"}),
}
_EDDSA_ALGORITHMS = frozenset({"EdDSA"})


class KeyLoadError(ValueError):
    """A configured key is unusable; raised at start-up, never per request."""


@dataclass(frozen=True)
class VerificationKey:
    """One public key and the JWS algorithms it may verify."""

    kid: str
    key: PublicKey
    algorithms: frozenset[str]


def algorithms_for(key: Any) -> frozenset[str]:
    """The JWS algorithms a public key of this type can verify."""
    if isinstance(key, rsa.RSAPublicKey):
        return _RSA_ALGORITHMS
    if isinstance(key, ec.EllipticCurvePublicKey):
        algorithms = _EC_ALGORITHMS.get(key.curve.name)
        if algorithms is None:
            raise KeyLoadError(f"unsupported elliptic curve {key.curve.name}")
        return algorithms
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return _EDDSA_ALGORITHMS
    raise KeyLoadError(f"unsupported key type {type(key).__name__}: asymmetric public keys only")


def key_from_pem(kid: str, pem: str) -> VerificationKey:
    """Load a PEM public key or X.509 certificate."""
    data = pem.encode()
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key: Any = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise KeyLoadError(f"key {kid!r} is not a PEM public key or certificate") from exc
    return VerificationKey(kid=kid, key=key, algorithms=algorithms_for(key))


def key_from_jwk(jwk: Mapping[str, Any]) -> VerificationKey:
    """Load one JWK (public, signing, with a `kid`)."""
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise KeyLoadError("JWKS key without a kid")
    if jwk.get("kty") == "oct":
        raise KeyLoadError(f"key {kid!r} is symmetric: asymmetric public keys only")
    if "d" in jwk:
        # A private key in a file of public keys is a leak waiting to happen.
        raise KeyLoadError(f"key {kid!r} holds private key material")
    try:
        key = jwt.PyJWK(dict(jwk)).key
    except jwt.PyJWTError as exc:
        raise KeyLoadError(f"key {kid!r} is not a usable JWK: {exc}") from exc
    algorithms = algorithms_for(key)
    declared = jwk.get("alg")
    if declared is not None:
        algorithms = algorithms & {declared}
        if not algorithms:
            raise KeyLoadError(f"key {kid!r} declares alg {declared!r}, unusable with its type")
    return VerificationKey(kid=kid, key=key, algorithms=algorithms)


def keys_from_jwks(document: Mapping[str, Any]) -> list[VerificationKey]:
    """Load the signing keys of a JWKS document; encryption keys are skipped."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise KeyLoadError("JWKS document has no 'keys' list")
    return [key_from_jwk(jwk) for jwk in entries if jwk.get("use", "sig") == "sig"]


def load_jwks(path: Path) -> list[VerificationKey]:
    """Read a JWKS JSON file."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyLoadError(f"cannot read JWKS file {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise KeyLoadError(f"JWKS file {path} is not a JSON object")
    return keys_from_jwks(document)


def _index(keys: Iterable[VerificationKey]) -> dict[str, VerificationKey]:
    by_kid: dict[str, VerificationKey] = {}
    for key in keys:
        if key.kid in by_kid:
            # Two keys under one kid would make verification depend on order.
            raise KeyLoadError(f"key id {key.kid!r} is configured twice")
        by_kid[key.kid] = key
    return by_kid


def load_keys(settings: AuthSettings) -> dict[str, VerificationKey]:
    """All verification keys the settings name, by key id."""
    keys = [key_from_pem(kid, pem) for kid, pem in settings.public_keys.items()]
    if settings.jwks_path is not None:
        keys.extend(load_jwks(settings.jwks_path))
    return _index(keys)
