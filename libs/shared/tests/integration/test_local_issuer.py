"""The local OpenID Connect issuer (`careflow.local.issuer`) over real HTTP, and the
services' verifier reading it the production way: discovery, JWKS, refetch on rotation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from careflow.local.issuer import LocalIssuer, main, serving
from careflow.local.supervisor import ServiceProcess, service_env
from careflow.shared.auth.claims import (
    AuthLevel,
    Child,
    ProfessionalPrincipal,
    ResidentPrincipal,
)
from careflow.shared.auth.verify import AuthenticationError, Reason, TokenVerifier
from careflow.shared.settings import AuthSettings, ServiceSettings


@pytest.fixture
async def issuer(tmp_path: Path) -> AsyncIterator[LocalIssuer]:
    async with serving(tmp_path / "keys", ttl=3600) as running:
        yield running


@pytest.fixture
async def http(issuer: LocalIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=issuer.url) as client:
        yield client


def settings_for(issuer: LocalIssuer, **extra: Any) -> AuthSettings:
    return AuthSettings(issuer=issuer.url, issuer_url=issuer.url, **extra)


async def token(http: httpx.AsyncClient, username: str, **form: str) -> str:
    response = await http.post(
        "/token", data={"grant_type": "password", "username": username, **form}
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    return str(body["access_token"])


async def test_discovery_names_the_issuer_its_jwks_and_token_endpoint(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    document = (await http.get("/.well-known/openid-configuration")).json()
    assert document["issuer"] == issuer.url
    assert document["jwks_uri"] == f"{issuer.url}/jwks"
    assert document["token_endpoint"] == f"{issuer.url}/token"
    jwks = (await http.get("/jwks")).json()
    assert [key["kid"] for key in jwks["keys"]] == [issuer.signing_kid]
    assert all("d" not in key for key in jwks["keys"])  # public keys only


async def test_development_users_get_the_claims_services_parse(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    verifier = TokenVerifier(settings_for(issuer))
    try:
        professional = await verifier.authenticate(await token(http, "dev-nurse"))
        assert professional == ProfessionalPrincipal(
            subject="dev-nurse",
            organisation="org-local",
            unit="unit-local",
            groups=["nurses"],
            roles=["nurse"],
        )
        guardian = await verifier.authenticate(await token(http, "dev-guardian"))
        assert guardian == ResidentPrincipal(
            subject="dev-guardian",
            auth_level=AuthLevel.STRONG,
            guardian_of=[Child(subject="dev-child", birth_date="2016-05-01")],
        )
        anonymous = await verifier.authenticate(await token(http, "dev-resident-anonymous"))
        assert anonymous == ResidentPrincipal(
            subject="dev-resident-anonymous", auth_level=AuthLevel.ANONYMOUS
        )
        fresh = await verifier.authenticate(await token(http, "resident-demo-1"))
        assert fresh == ResidentPrincipal(subject="resident-demo-1", auth_level=AuthLevel.STRONG)
    finally:
        await verifier.stop()


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "username": "mallory"}, "invalid_grant"),
        ({"grant_type": "password", "username": "resident-"}, "invalid_grant"),
        ({"grant_type": "client_credentials", "username": "dev-nurse"}, "unsupported_grant_type"),
        (
            {"grant_type": "password", "username": "dev-nurse", "expires_in": "7200"},
            "invalid_request",
        ),
        ({"grant_type": "password", "username": "dev-nurse", "expires_in": "0"}, "invalid_request"),
        ({"grant_type": "password", "username": "dev-nurse", "expires_in": "x"}, "invalid_request"),
    ],
)
async def test_the_token_endpoint_refuses_as_oauth_says(
    http: httpx.AsyncClient, form: dict[str, str], error: str
) -> None:
    response = await http.post("/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error


async def test_a_short_token_lives_as_asked(issuer: LocalIssuer, http: httpx.AsyncClient) -> None:
    claims = jwt.decode(
        await token(http, "dev-resident", expires_in="60"), options={"verify_signature": False}
    )
    assert claims["exp"] - claims["iat"] == 60
    assert claims["iss"] == issuer.url
    assert claims["aud"] == "careflow"


async def test_rotation_then_retirement_as_a_running_verifier_sees_it(
    issuer: LocalIssuer, http: httpx.AsyncClient
) -> None:
    verifier = TokenVerifier(settings_for(issuer))
    await verifier.start()
    try:
        old_kid = issuer.signing_kid
        old = await token(http, "dev-resident")
        assert (await verifier.authenticate(old)).subject == "dev-resident"

        rotated = (await http.post("/keys/rotate")).json()
        assert rotated["published"] == [old_kid, rotated["kid"]]
        new = await token(http, "dev-resident", expires_in="600")
        assert verifier.key_ids == {old_kid}  # not fetched yet ...
        assert (await verifier.authenticate(new)).subject == "dev-resident"  # ... and now it is
        assert verifier.key_ids == {old_kid, rotated["kid"]}
        assert (await verifier.authenticate(old)).subject == "dev-resident"

        # The key that signs now cannot be retired; the old one can.
        assert (await http.post("/keys/retire", data={"kid": rotated["kid"]})).status_code == 409
        retired = await http.post("/keys/retire", data={"kid": old_kid})
        assert retired.json()["published"] == [rotated["kid"]]
        assert await verifier._issuer_keys.refresh()  # type: ignore[union-attr]
        assert verifier.key_ids == {rotated["kid"]}
        # A token of the retired key was verified (and cached) before: refused now.
        with pytest.raises(AuthenticationError) as caught:
            await verifier.authenticate(old)
        assert caught.value.reason is Reason.UNKNOWN_KID
        assert (await verifier.authenticate(new)).subject == "dev-resident"
        assert not (issuer.keys_dir / f"{old_kid}.private.pem").exists()
    finally:
        await verifier.stop()


async def test_an_issuer_that_went_away_leaves_the_known_keys_verifying(tmp_path: Path) -> None:
    async with (
        serving(tmp_path / "keys", ttl=3600) as issuer,
        httpx.AsyncClient(base_url=issuer.url) as http,
    ):
        verifier = TokenVerifier(settings_for(issuer, jwks_min_refetch_seconds=0))
        await verifier.start()
        known = await token(http, "dev-professional")
        rotated = (await http.post("/keys/rotate")).json()["kid"]
        unknown = await token(http, "dev-professional", expires_in="600")
    try:
        # The issuer is down: the known key still verifies, the new kid cannot be fetched.
        assert (await verifier.authenticate(known)).subject == "dev-professional"
        with pytest.raises(AuthenticationError) as caught:
            await verifier.authenticate(unknown)
        assert caught.value.reason is Reason.UNKNOWN_KID
        assert rotated not in verifier.key_ids
    finally:
        await verifier.stop()


async def test_the_command_line_gets_tokens_and_rotates(
    issuer: LocalIssuer, capsys: pytest.CaptureFixture[str]
) -> None:
    async def run(*args: str) -> tuple[int, str, str]:
        # In a thread: the command line is a synchronous client of this loop's issuer.
        code = await asyncio.to_thread(main, [*args, "--url", issuer.url])
        out, err = capsys.readouterr()
        return code, out, err

    code, printed, _ = await run("token", "dev-auditor")
    assert code == 0
    verifier = TokenVerifier(settings_for(issuer))
    principal = await verifier.authenticate(printed.strip())
    assert isinstance(principal, ProfessionalPrincipal)
    assert principal.roles == ["auditor"]

    before = issuer.signing_kid
    code, printed, _ = await run("rotate")
    assert code == 0
    assert issuer.signing_kid != before
    assert issuer.signing_kid in printed

    code, _, err = await run("token", "mallory")
    assert code == 1
    assert "400" in err


async def test_a_service_configured_as_make_run_does_accepts_the_dev_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The issuer of `make run`: 12-hour tokens.
    async with serving(tmp_path / "keys") as issuer, httpx.AsyncClient(base_url=issuer.url) as http:
        env = service_env(
            ServiceProcess("careflow", 8001, tmp_path / "careflow.log"),
            database_url="postgresql+asyncpg://local/careflow",
            bootstrap_servers="127.0.0.1:9092",
            issuer_url=issuer.url,
        )
        assert "CAREFLOW_AUTH__JWKS_PATH" not in env
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        verifier = TokenVerifier(ServiceSettings().auth)
        try:
            principal = await verifier.authenticate(await token(http, "dev-professional"))
            assert isinstance(principal, ProfessionalPrincipal)
            assert principal.roles == ["admin"]
        finally:
            await verifier.stop()
        # The platform's default lifetime would refuse the working-day token.
        strict = TokenVerifier(settings_for(issuer))
        with pytest.raises(AuthenticationError) as caught:
            await strict.authenticate(await token(http, "dev-professional"))
        assert caught.value.reason is Reason.LIFETIME_TOO_LONG
