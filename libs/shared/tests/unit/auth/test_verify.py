"""TokenVerifier: each refusal for the right reason, and what it accepts."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from careflow.shared.auth.claims import ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.keys import load_keys
from careflow.shared.auth.signing import PrivateKey
from careflow.shared.auth.verify import AuthenticationError, Reason, TokenVerifier
from careflow.shared.settings import AuthSettings

Claims = dict[str, Any]


def refusal(verifier: TokenVerifier, token: str) -> Reason:
    with pytest.raises(AuthenticationError) as caught:
        verifier.verify(token)
    return caught.value.reason


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("expired", Reason.EXPIRED),
        ("wrong_issuer", Reason.WRONG_ISSUER),
        ("wrong_audience", Reason.WRONG_AUDIENCE),
        ("alg_none", Reason.ALGORITHM_NOT_ALLOWED),
        ("hs256_with_public_key", Reason.ALGORITHM_NOT_ALLOWED),
        ("unknown_kid", Reason.UNKNOWN_KID),
        ("garbage", Reason.MALFORMED),
    ],
)
def test_bad_token_is_refused_for_its_reason(
    verifier: TokenVerifier, bad_tokens: dict[str, str], name: str, reason: Reason
) -> None:
    assert refusal(verifier, bad_tokens[name]) is reason


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "iss", "aud"])
def test_token_missing_a_required_claim_is_refused(
    verifier: TokenVerifier,
    signing_key: tuple[str, PrivateKey],
    valid_claims: Claims,
    claim: str,
) -> None:
    kid, private_key = signing_key
    claims = {name: value for name, value in valid_claims.items() if name != claim}
    token = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})
    assert refusal(verifier, token) is Reason.MISSING_CLAIM


def test_token_without_kid_is_refused(
    verifier: TokenVerifier, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    _, private_key = signing_key
    token = jwt.encode(valid_claims, private_key, algorithm="RS256")
    assert refusal(verifier, token) is Reason.MISSING_KID


def test_algorithm_outside_the_allow_list_is_refused_even_when_correctly_signed(
    verifier: TokenVerifier, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    kid, private_key = signing_key
    token = jwt.encode(valid_claims, private_key, algorithm="RS512", headers={"kid": kid})
    assert refusal(verifier, token) is Reason.ALGORITHM_NOT_ALLOWED


def test_hmac_stays_refused_even_if_the_allow_list_were_bypassed(
    auth_settings: AuthSettings,
    bad_tokens: dict[str, str],
) -> None:
    # model_construct skips the settings validator that forbids HS*; the key's
    # own algorithm set is the second line of defence.
    unsafe = AuthSettings.model_construct(
        **(auth_settings.model_dump() | {"algorithms": ["HS256", "RS256"]})
    )
    verifier = TokenVerifier(unsafe)
    assert refusal(verifier, bad_tokens["hs256_with_public_key"]) is Reason.ALGORITHM_NOT_ALLOWED


def test_tampered_payload_is_refused(
    verifier: TokenVerifier, token_for: Callable[..., str], nurse: ProfessionalPrincipal
) -> None:
    header, _, signature = token_for(nurse).split(".")
    other = token_for(nurse.model_copy(update={"roles": ["doctor"]})).split(".")[1]
    assert refusal(verifier, f"{header}.{other}.{signature}") is Reason.BAD_SIGNATURE


def test_token_not_yet_issued_is_refused(
    verifier: TokenVerifier, token_for: Callable[..., str], nurse: ProfessionalPrincipal
) -> None:
    token = token_for(nurse, now=datetime.now(UTC) + timedelta(hours=1))
    assert refusal(verifier, token) is Reason.NOT_YET_VALID


def test_unknown_actor_is_refused_as_invalid_claims(
    verifier: TokenVerifier, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    kid, private_key = signing_key
    claims = valid_claims | {"actor": "administrator"}
    token = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})
    assert refusal(verifier, token) is Reason.INVALID_CLAIMS


def test_valid_professional_token_gives_the_professional(
    verifier: TokenVerifier, token_for: Callable[..., str], nurse: ProfessionalPrincipal
) -> None:
    principal = verifier.verify(token_for(nurse))
    assert principal == nurse
    assert isinstance(principal, ProfessionalPrincipal)
    assert principal.has_role("nurse")
    assert not principal.has_role("doctor")


def test_valid_resident_token_keeps_the_children(
    verifier: TokenVerifier, token_for: Callable[..., str], resident: ResidentPrincipal
) -> None:
    principal = verifier.verify(token_for(resident))
    assert isinstance(principal, ResidentPrincipal)
    assert principal.is_guardian_of("child-1")
    assert not principal.is_guardian_of("child-2")
    assert principal.guardian_of[0].birth_date.isoformat() == "2015-04-01"


def test_verifier_knows_the_generated_key(verifier: TokenVerifier, key_dir: Path) -> None:
    (private_key_file,) = key_dir.glob("*.private.pem")
    assert verifier.key_ids == {private_key_file.name.removesuffix(".private.pem")}


def _signed(signing_key: tuple[str, PrivateKey], claims: Claims) -> str:
    kid, private_key = signing_key
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})


def test_a_verified_token_is_not_verified_again_until_it_expires(
    auth_settings: AuthSettings, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    now = datetime.now(UTC).timestamp()
    clock = {"now": now}
    verifier = TokenVerifier(auth_settings, clock=lambda: clock["now"])
    expires = int(now) + 600
    token = _signed(signing_key, valid_claims | {"exp": expires})

    first = verifier.verify(token)
    assert verifier.verify(token) is first  # served from the cache

    clock["now"] = expires + 1  # the cache's view of time: past `exp`
    again = verifier.verify(token)
    assert again == first
    assert again is not first  # verified afresh, not served stale


def test_an_expired_token_is_refused_although_it_was_accepted_before(
    auth_settings: AuthSettings, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    verifier = TokenVerifier(auth_settings)  # leeway 0
    # `exp` is whole seconds: one second ahead could be a millisecond ahead, and the
    # signing alone outlast it on a loaded machine. Two: a second at least.
    expires = int(time.time()) + 2
    token = _signed(signing_key, valid_claims | {"exp": expires})
    verifier.verify(token)
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    assert refusal(verifier, token) is Reason.EXPIRED


def test_a_tampered_copy_of_a_cached_token_is_still_refused(
    verifier: TokenVerifier, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    token = _signed(signing_key, valid_claims)
    verifier.verify(token)
    header, _payload, signature = token.split(".")
    forged_claims = valid_claims | {"sub": "someone-else"}
    forged_payload = (
        base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=").decode()
    )
    assert refusal(verifier, f"{header}.{forged_payload}.{signature}") is Reason.BAD_SIGNATURE


class _IssuerKeysStub:
    """What the verifier reads of `IssuerKeys`: the keys published now."""

    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = keys

    async def refresh_for_unknown_kid(self) -> bool:
        return False


async def test_a_cached_token_is_refused_once_its_key_is_no_longer_published(
    auth_settings: AuthSettings, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    kid = signing_key[0]
    published = dict(load_keys(auth_settings))
    issuer_keys = _IssuerKeysStub(published)
    verifier = TokenVerifier(auth_settings, keys={}, issuer_keys=issuer_keys)  # type: ignore[arg-type]
    token = _signed(signing_key, valid_claims)
    assert (await verifier.authenticate(token)).subject == valid_claims["sub"]  # now cached

    del issuer_keys.keys[kid]  # the issuer retired the key
    with pytest.raises(AuthenticationError) as caught:
        await verifier.authenticate(token)
    assert caught.value.reason is Reason.UNKNOWN_KID
