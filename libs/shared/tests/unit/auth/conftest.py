"""Keys, tokens and a small protected app shared by the auth tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from careflow.shared.auth.claims import (
    AuthLevel,
    Child,
    ProfessionalPrincipal,
    ResidentPrincipal,
)
from careflow.shared.auth.dependencies import Professional, Resident, require_professional
from careflow.shared.auth.mint import generate_keypair, load_signing_key, mint_token
from careflow.shared.auth.signing import PrivateKey
from careflow.shared.auth.verify import TokenVerifier
from careflow.shared.http.problems import install_problem_handlers
from careflow.shared.settings import AuthSettings

ISSUER = "https://auth.test.careflow"
AUDIENCE = "careflow-test"
Claims = dict[str, Any]


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    generate_keypair(directory)
    return directory


@pytest.fixture(scope="session")
def signing_key(key_dir: Path) -> tuple[str, PrivateKey]:
    return load_signing_key(key_dir)


@pytest.fixture(scope="session")
def auth_settings(key_dir: Path) -> AuthSettings:
    return AuthSettings(
        issuer=ISSUER, audience=AUDIENCE, jwks_path=key_dir / "jwks.json", leeway_seconds=0
    )


@pytest.fixture(scope="session")
def verifier(auth_settings: AuthSettings) -> TokenVerifier:
    return TokenVerifier(auth_settings)


@pytest.fixture
def nurse() -> ProfessionalPrincipal:
    return ProfessionalPrincipal(
        subject="prof-1", organisation="org-1", unit="unit-a", groups=["ward-3"], roles=["nurse"]
    )


@pytest.fixture
def resident() -> ResidentPrincipal:
    return ResidentPrincipal(
        subject="res-1",
        auth_level=AuthLevel.STRONG,
        guardian_of=[Child(subject="child-1", birth_date="2015-04-01")],
    )


@pytest.fixture
def token_for(signing_key: tuple[str, PrivateKey]) -> Callable[..., str]:
    """Mint a valid token for a principal; keyword arguments override mint_token's."""
    kid, private_key = signing_key

    def mint(principal: Any, **overrides: Any) -> str:
        options = {"issuer": ISSUER, "audience": AUDIENCE, "ttl": 300} | overrides
        return mint_token(private_key, options.pop("kid", kid), principal, **options)

    return mint


@pytest.fixture
def valid_claims(nurse: ProfessionalPrincipal) -> Claims:
    now = datetime.now(UTC)
    return nurse.to_claims() | {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def forge() -> Callable[..., str]:
    """Build a compact JWS by hand (pyjwt refuses to make the bad ones)."""

    def build(header: dict[str, Any], claims: Claims, hmac_secret: bytes | None = None) -> str:
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        if hmac_secret is None:
            return signing_input + "."
        signature = hmac.new(hmac_secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    return build


@pytest.fixture
def bad_tokens(
    signing_key: tuple[str, PrivateKey],
    key_dir: Path,
    valid_claims: Claims,
    forge: Callable[..., str],
) -> dict[str, str]:
    """Tokens that must never authenticate, by the attack or mistake they model."""
    kid, private_key = signing_key

    def signed(claims: Claims, **headers: Any) -> str:
        return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid} | headers)

    past = datetime.now(UTC) - timedelta(hours=2)
    public_pem = (key_dir / f"{kid}.public.pem").read_bytes()
    return {
        "expired": signed(
            valid_claims | {"iat": int(past.timestamp()), "exp": int(past.timestamp()) + 60}
        ),
        "wrong_issuer": signed(valid_claims | {"iss": "https://evil.example"}),
        "wrong_audience": signed(valid_claims | {"aud": "another-system"}),
        "alg_none": forge({"alg": "none", "typ": "JWT", "kid": kid}, valid_claims),
        "hs256_with_public_key": forge(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, valid_claims, hmac_secret=public_pem
        ),
        "unknown_kid": signed(valid_claims, kid="no-such-key"),
        "garbage": "not-a.jwt-at.all",
    }


# Module level: with postponed annotations FastAPI resolves these by name.
NurseOnly = Annotated[ProfessionalPrincipal, Depends(require_professional(roles={"nurse"}))]
DoctorOnly = Annotated[ProfessionalPrincipal, Depends(require_professional(roles={"doctor"}))]


def build_app(verifier: TokenVerifier | None) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    if verifier is not None:
        app.state.token_verifier = verifier

    @app.get("/me/professional")
    async def professional(user: Professional) -> ProfessionalPrincipal:
        return user

    @app.get("/triage")
    async def triage(user: NurseOnly) -> dict[str, str]:
        return {"sub": user.subject}

    @app.get("/prescriptions")
    async def prescriptions(user: DoctorOnly) -> dict[str, str]:
        return {"sub": user.subject}

    @app.get("/me/resident")
    async def resident(user: Resident) -> ResidentPrincipal:
        return user

    return app


@pytest.fixture
def make_app() -> Callable[[TokenVerifier | None], FastAPI]:
    return build_app


@pytest.fixture
async def client(verifier: TokenVerifier) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: Starlette re-raises after the 500 handler runs.
    transport = httpx.ASGITransport(build_app(verifier), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
