"""Loading verification keys: what is accepted, and what must fail at start-up."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from careflow.shared.auth.keys import KeyLoadError, key_from_pem, keys_from_jwks, load_keys
from careflow.shared.auth.signing import jwk_thumbprint
from careflow.shared.settings import AuthSettings


def public_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rsa_jwk(kid: str, *, private: bool = False) -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key if private else key.public_key(), as_dict=True)
    return jwk | {"kid": kid}


def test_pem_keys_and_jwks_load_side_by_side(key_dir: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    settings = AuthSettings(
        public_keys={"ec-1": public_pem(ec_key)}, jwks_path=key_dir / "jwks.json"
    )
    keys = load_keys(settings)
    assert len(keys) == 2
    assert keys["ec-1"].algorithms == {"ES256"}
    (jwks_kid,) = set(keys) - {"ec-1"}
    assert "RS256" in keys[jwks_kid].algorithms
    assert not any(alg.startswith("HS") for key in keys.values() for alg in key.algorithms)


def test_the_same_kid_twice_is_refused(tmp_path: Path) -> None:
    jwk = rsa_jwk("dup")
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    pem = public_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    settings = AuthSettings(public_keys={"dup": pem}, jwks_path=tmp_path / "jwks.json")
    with pytest.raises(KeyLoadError, match="twice"):
        load_keys(settings)


def test_symmetric_jwk_is_refused() -> None:
    with pytest.raises(KeyLoadError, match="symmetric"):
        keys_from_jwks({"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]})


def test_private_jwk_is_refused() -> None:
    with pytest.raises(KeyLoadError, match="private"):
        keys_from_jwks({"keys": [rsa_jwk("p", private=True)]})


def test_jwk_without_kid_is_refused() -> None:
    jwk = rsa_jwk("x")
    del jwk["kid"]
    with pytest.raises(KeyLoadError, match="kid"):
        keys_from_jwks({"keys": [jwk]})


def test_jwk_declaring_an_algorithm_of_another_key_type_is_refused() -> None:
    with pytest.raises(KeyLoadError, match="'r'"):
        keys_from_jwks({"keys": [rsa_jwk("r") | {"alg": "ES256"}]})


def test_jwk_declaring_an_algorithm_of_another_curve_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(key, as_dict=True) | {"kid": "e", "alg": "ES384"}
    with pytest.raises(KeyLoadError, match="declares alg"):
        keys_from_jwks({"keys": [jwk]})


def test_declared_alg_narrows_what_a_key_verifies() -> None:
    (key,) = keys_from_jwks({"keys": [rsa_jwk("r") | {"alg": "PS256"}]})
    assert key.algorithms == {"PS256"}


def test_encryption_keys_in_a_jwks_are_skipped() -> None:
    keys = keys_from_jwks({"keys": [rsa_jwk("sig"), rsa_jwk("enc") | {"use": "enc"}]})
    assert [key.kid for key in keys] == ["sig"]


def test_text_that_is_not_a_pem_key_is_refused() -> None:
    with pytest.raises(KeyLoadError, match="not a PEM"):
        key_from_pem("k", "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")


def test_unreadable_jwks_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "jwks.json").write_text("{not json")
    with pytest.raises(KeyLoadError, match="cannot read"):
        load_keys(AuthSettings(jwks_path=tmp_path / "jwks.json"))


def test_certificate_pem_gives_its_public_key() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    loaded = key_from_pem("cert", certificate.public_bytes(serialization.Encoding.PEM).decode())
    assert loaded.algorithms == {"ES384"}
    assert loaded.key.public_numbers() == key.public_key().public_numbers()


def test_thumbprint_matches_the_rfc_7638_example() -> None:
    # RFC 7638 §3.1.
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6"
        "tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65Y"
        "GjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
        "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
