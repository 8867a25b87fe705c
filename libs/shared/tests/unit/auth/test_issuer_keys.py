"""Keys from an OpenID Connect issuer: discovery, refetch on an unknown kid (rate-limited,
one fetch shared by concurrent requests), and a failing issuer changes nothing.

The issuer here is an httpx mock transport; `tests/integration/test_local_issuer.py`
runs the same verifier against the real local issuer over HTTP.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import httpx
import pytest

from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.issuer_keys import IssuerKeys
from careflow.shared.auth.signing import GENERATORS, PrivateKey, mint_token, public_jwk
from careflow.shared.auth.verify import AuthenticationError, Reason, TokenVerifier
from careflow.shared.settings import AuthSettings

ISSUER = "https://idp.test.careflow/realms/careflow"
INTERNAL = "http://idp.internal:8080/realms/careflow"
NURSE = ProfessionalPrincipal(subject="prof-1", organisation="org-1", unit="unit-a")


class Issuer:
    """What the mock transport serves: a discovery document and a JWKS, with counters."""

    def __init__(self) -> None:
        self.keys: dict[str, PrivateKey] = {}
        self.published: list[dict[str, Any]] = []
        self.discovery: dict[str, Any] = {
            "issuer": ISSUER,
            "jwks_uri": f"{INTERNAL}/protocol/openid-connect/certs",
        }
        self.requests: Counter[str] = Counter()
        self.failing = False
        self.gate: asyncio.Event | None = None

    def add_key(self, algorithm: str = "RS256") -> str:
        private_key = GENERATORS[algorithm]()
        jwk = public_jwk(private_key)
        self.keys[jwk["kid"]] = private_key
        self.published.append(jwk)
        return str(jwk["kid"])

    def retire(self, kid: str) -> None:
        self.published = [jwk for jwk in self.published if jwk["kid"] != kid]

    def token(self, kid: str, **overrides: Any) -> str:
        arguments: dict[str, Any] = {"issuer": ISSUER, "audience": "careflow"} | overrides
        return mint_token(self.keys[kid], kid, NURSE, **arguments)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests[path] += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failing:
            return httpx.Response(503)
        if request.url == httpx.URL(f"{INTERNAL}/.well-known/openid-configuration"):
            return httpx.Response(200, json=self.discovery)
        if request.url == httpx.URL(self.discovery["jwks_uri"]):
            return httpx.Response(200, json={"keys": self.published})
        return httpx.Response(404)

    @property
    def jwks_fetches(self) -> int:
        return self.requests["/realms/careflow/protocol/openid-connect/certs"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings() -> AuthSettings:
    return AuthSettings(issuer=ISSUER, issuer_url=INTERNAL + "/", jwks_min_refetch_seconds=30)


@pytest.fixture
def verifier(issuer: Issuer, clock: Clock, settings: AuthSettings) -> TokenVerifier:
    keys = IssuerKeys(settings, clock=clock, transport=httpx.MockTransport(issuer.handle))
    return TokenVerifier(settings, issuer_keys=keys)


async def refusal(verifier: TokenVerifier, token: str) -> Reason:
    with pytest.raises(AuthenticationError) as caught:
        await verifier.authenticate(token)
    return caught.value.reason


async def test_keys_are_found_by_discovery_on_the_internal_address(
    issuer: Issuer, verifier: TokenVerifier
) -> None:
    kid = issuer.add_key()
    await verifier.start()
    try:
        assert verifier.key_ids == {kid}
        assert await verifier.authenticate(issuer.token(kid)) == NURSE
        # The public issuer name is checked in tokens; the keys come from the internal address.
        assert issuer.requests["/realms/careflow/.well-known/openid-configuration"] == 1
        assert issuer.jwks_fetches == 1
    finally:
        await verifier.stop()


async def test_a_rotated_key_verifies_at_once_and_the_old_one_still_does(
    issuer: Issuer, verifier: TokenVerifier
) -> None:
    old = issuer.add_key()
    await verifier.start()
    try:
        before = issuer.token(old)
        new = issuer.add_key("ES256")
        assert await verifier.authenticate(issuer.token(new)) == NURSE
        assert issuer.jwks_fetches == 2
        assert await verifier.authenticate(before) == NURSE
        assert await verifier.authenticate(issuer.token(old)) == NURSE
        # The discovery document was read once: its jwks_uri is kept.
        assert issuer.requests["/realms/careflow/.well-known/openid-configuration"] == 1
    finally:
        await verifier.stop()


async def test_unknown_kids_refetch_at_most_once_per_interval(
    issuer: Issuer, verifier: TokenVerifier, clock: Clock
) -> None:
    issuer.add_key()
    await verifier.start()
    try:
        stranger = Issuer()
        forged = stranger.token(stranger.add_key())
        assert await refusal(verifier, forged) is Reason.UNKNOWN_KID
        assert issuer.jwks_fetches == 2
        for _ in range(5):
            clock.now += 5
            assert await refusal(verifier, forged) is Reason.UNKNOWN_KID
        assert issuer.jwks_fetches == 2  # 25 s after the last: rate-limited

        rotated = issuer.add_key()
        clock.now += 5  # 30 s: the next unknown kid may fetch again
        assert await verifier.authenticate(issuer.token(rotated)) == NURSE
        assert issuer.jwks_fetches == 3
    finally:
        await verifier.stop()


async def test_concurrent_requests_with_a_new_kid_share_one_fetch(
    issuer: Issuer, verifier: TokenVerifier
) -> None:
    issuer.add_key()
    await verifier.start()
    try:
        new = issuer.add_key()
        issuer.gate = asyncio.Event()
        tokens = [issuer.token(new, ttl=600 + i) for i in range(20)]
        waiting = [asyncio.ensure_future(verifier.authenticate(t)) for t in tokens]
        while issuer.jwks_fetches < 2:
            await asyncio.sleep(0)
        issuer.gate.set()
        assert await asyncio.gather(*waiting) == [NURSE] * 20
        assert issuer.jwks_fetches == 2
    finally:
        await verifier.stop()


async def test_a_request_that_gives_up_does_not_cancel_the_shared_fetch(
    issuer: Issuer, verifier: TokenVerifier
) -> None:
    issuer.add_key()
    await verifier.start()
    try:
        new = issuer.add_key()
        issuer.gate = asyncio.Event()
        impatient = asyncio.ensure_future(verifier.authenticate(issuer.token(new)))
        patient = asyncio.ensure_future(verifier.authenticate(issuer.token(new, ttl=601)))
        while issuer.jwks_fetches < 2:
            await asyncio.sleep(0)
        impatient.cancel()
        issuer.gate.set()
        assert await patient == NURSE
        assert impatient.cancelled()
    finally:
        await verifier.stop()


async def test_a_failing_issuer_leaves_the_known_keys_verifying(
    issuer: Issuer, verifier: TokenVerifier, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    kid = issuer.add_key()
    await verifier.start()
    try:
        issuer.failing = True
        caplog.set_level(logging.INFO)
        rotated_meanwhile = Issuer()
        unknown = rotated_meanwhile.token(rotated_meanwhile.add_key())
        assert await refusal(verifier, unknown) is Reason.UNKNOWN_KID
        known = issuer.token(kid)
        assert await verifier.authenticate(known) == NURSE
        assert verifier.key_ids == {kid}

        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert f"signing keys of {INTERNAL}/.well-known/openid-configuration not refreshed" in (
            logged
        )
        assert "HTTP 503" in logged
        assert "still verifying with the 1 known" in logged
        for token in (unknown, known):
            for part in token.split("."):
                assert part not in logged

        # Back again: the next fetch (after the interval) discovers anew and succeeds.
        issuer.failing = False
        clock.now += 30
        assert await refusal(verifier, unknown) is Reason.UNKNOWN_KID
        assert issuer.requests["/realms/careflow/.well-known/openid-configuration"] == 2
    finally:
        await verifier.stop()


async def test_an_unreachable_issuer_at_start_is_logged_and_tried_again_later(
    settings: AuthSettings, caplog: pytest.LogCaptureFixture, clock: Clock
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    keys = IssuerKeys(settings, clock=clock, transport=httpx.MockTransport(refuse))
    verifier = TokenVerifier(settings, issuer_keys=keys)
    caplog.set_level(logging.WARNING)
    await verifier.start()  # does not raise: the service starts, its keys come later
    try:
        assert verifier.key_ids == frozenset()
        assert "not refreshed (ConnectError)" in caplog.text
    finally:
        await verifier.stop()


async def test_a_discovery_document_naming_another_issuer_is_not_trusted(
    issuer: Issuer, verifier: TokenVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    kid = issuer.add_key()
    issuer.discovery["issuer"] = "https://impostor.example"
    caplog.set_level(logging.WARNING)
    await verifier.start()
    try:
        assert await refusal(verifier, issuer.token(kid)) is Reason.UNKNOWN_KID
        assert issuer.jwks_fetches == 0
        assert "names another issuer than" in caplog.text
    finally:
        await verifier.stop()


async def test_unusable_keys_are_skipped_and_the_others_used(
    issuer: Issuer, verifier: TokenVerifier
) -> None:
    kid = issuer.add_key()
    issuer.published += [
        {"kty": "RSA", "kid": "enc-1", "use": "enc", "alg": "RSA-OAEP", "n": "AQAB", "e": "AQAB"},
        {"kty": "oct", "kid": "hmac-1", "k": "c2VjcmV0"},
        {**issuer.published[0], "kid": "leaky", "d": "private"},
        {"kty": "RSA", "kid": "no-alg-fits", "alg": "ES256", **_rsa_numbers(issuer, kid)},
    ]
    await verifier.start()
    try:
        assert verifier.key_ids == {kid}
        assert await verifier.authenticate(issuer.token(kid)) == NURSE
    finally:
        await verifier.stop()


def _rsa_numbers(issuer: Issuer, kid: str) -> dict[str, Any]:
    jwk = next(j for j in issuer.published if j["kid"] == kid)
    return {"n": jwk["n"], "e": jwk["e"]}


async def test_a_retired_key_stops_verifying_new_tokens_after_the_next_fetch(
    issuer: Issuer, verifier: TokenVerifier
) -> None:
    old = issuer.add_key()
    new = issuer.add_key()
    await verifier.start()
    try:
        issuer.retire(old)
        assert await verifier._issuer_keys.refresh()  # type: ignore[union-attr]
        assert verifier.key_ids == {new}
        assert await refusal(verifier, issuer.token(old)) is Reason.UNKNOWN_KID
        assert await verifier.authenticate(issuer.token(new)) == NURSE
    finally:
        await verifier.stop()


async def test_checks_against_issuer_keys_are_the_same_as_against_static_ones(
    issuer: Issuer, verifier: TokenVerifier
) -> None:
    kid = issuer.add_key()
    await verifier.start()
    try:
        assert await refusal(verifier, issuer.token(kid, issuer="https://other")) is (
            Reason.WRONG_ISSUER
        )
        assert await refusal(verifier, issuer.token(kid, audience="other")) is (
            Reason.WRONG_AUDIENCE
        )
        assert await refusal(verifier, issuer.token(kid, ttl=7200)) is Reason.LIFETIME_TOO_LONG
        assert issuer.jwks_fetches == 1  # known kid: no fetch for a refusal
    finally:
        await verifier.stop()


async def test_verify_uses_the_keys_known_now_and_never_fetches(
    issuer: Issuer, verifier: TokenVerifier
) -> None:
    kid = issuer.add_key()
    with pytest.raises(AuthenticationError) as caught:
        verifier.verify(issuer.token(kid))
    assert caught.value.reason is Reason.UNKNOWN_KID
    assert sum(issuer.requests.values()) == 0
    # authenticate fetches on the unknown kid even before start().
    assert await verifier.authenticate(issuer.token(kid)) == NURSE


def test_issuer_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="issuer_url must be an http"):
        AuthSettings(issuer_url="file:///etc/keys")
    assert AuthSettings(issuer_url="").issuer_url is None


async def test_the_keys_are_refreshed_in_the_background_without_a_token_asking(
    issuer: Issuer, clock: Clock
) -> None:
    old = issuer.add_key()
    settings = AuthSettings(issuer=ISSUER, issuer_url=INTERNAL, jwks_refresh_seconds=1)
    keys = IssuerKeys(settings, clock=clock, transport=httpx.MockTransport(issuer.handle))
    verifier = TokenVerifier(settings, issuer_keys=keys)
    await verifier.start()
    try:
        new = issuer.add_key()
        issuer.retire(old)
        for _ in range(100):
            if verifier.key_ids == {new}:
                break
            await asyncio.sleep(0.1)
        assert verifier.key_ids == {new}
        # Known before its first token: verify (which never fetches) accepts it.
        assert verifier.verify(issuer.token(new)) == NURSE
    finally:
        await verifier.stop()
