"""The edges of an access token: its type, its lifetime, its subject's size, its audience."""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest

from careflow.shared.auth.claims import ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.signing import PrivateKey
from careflow.shared.auth.verify import AuthenticationError, Reason, TokenVerifier
from careflow.shared.settings import AuthSettings

from .conftest import AUDIENCE, Claims


def refusal(verifier: TokenVerifier, token: str) -> Reason:
    with pytest.raises(AuthenticationError) as caught:
        verifier.verify(token)
    return caught.value.reason


def signed(signing_key: tuple[str, PrivateKey], claims: Claims, **headers: object) -> str:
    kid, private_key = signing_key
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid} | headers)


def test_minted_tokens_say_they_are_access_tokens(
    token_for: Callable[..., str], nurse: ProfessionalPrincipal
) -> None:
    assert jwt.get_unverified_header(token_for(nurse))["typ"] == "at+jwt"


@pytest.mark.parametrize("token_type", ["at+jwt", "application/at+jwt", "JWT", "jwt"])
def test_an_access_token_type_is_accepted(
    verifier: TokenVerifier,
    signing_key: tuple[str, PrivateKey],
    valid_claims: Claims,
    token_type: str,
) -> None:
    token = signed(signing_key, valid_claims, typ=token_type)
    assert verifier.verify(token).subject == valid_claims["sub"]


@pytest.mark.parametrize("token_type", ["id+jwt", "logout+jwt", "", None])
def test_a_jwt_that_is_no_access_token_is_refused(
    verifier: TokenVerifier,
    signing_key: tuple[str, PrivateKey],
    valid_claims: Claims,
    token_type: str | None,
) -> None:
    # pyjwt leaves `typ` out when it is given as None or "".
    token = signed(signing_key, valid_claims, typ=token_type)
    assert refusal(verifier, token) is Reason.WRONG_TYPE


def test_a_token_issued_for_longer_than_the_cap_is_refused(
    verifier: TokenVerifier, token_for: Callable[..., str], nurse: ProfessionalPrincipal
) -> None:
    assert refusal(verifier, token_for(nurse, ttl=3601)) is Reason.LIFETIME_TOO_LONG
    assert verifier.verify(token_for(nurse, ttl=3600)) == nurse


def test_the_lifetime_cap_is_a_setting(
    auth_settings: AuthSettings, token_for: Callable[..., str], nurse: ProfessionalPrincipal
) -> None:
    strict = TokenVerifier(auth_settings.model_copy(update={"max_lifetime_seconds": 300}))
    assert strict.verify(token_for(nurse, ttl=300)) == nurse
    assert refusal(strict, token_for(nurse, ttl=301)) is Reason.LIFETIME_TOO_LONG


def test_a_ten_thousand_character_subject_is_refused(
    verifier: TokenVerifier, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    token = signed(signing_key, valid_claims | {"sub": "s" * 10_000})
    assert refusal(verifier, token) is Reason.INVALID_CLAIMS


def test_a_subject_of_255_characters_is_accepted(
    verifier: TokenVerifier, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    token = signed(signing_key, valid_claims | {"sub": "s" * 255})
    assert verifier.verify(token).subject == "s" * 255


@pytest.mark.parametrize(
    "claims",
    [
        {"org": "o" * 256},
        {"roles": ["nurse"] * 65},
        {"groups": ["g" * 256]},
    ],
)
def test_oversized_professional_claims_are_refused(
    verifier: TokenVerifier,
    signing_key: tuple[str, PrivateKey],
    valid_claims: Claims,
    claims: Claims,
) -> None:
    assert refusal(verifier, signed(signing_key, valid_claims | claims)) is Reason.INVALID_CLAIMS


def test_a_resident_with_an_oversized_child_subject_is_refused(
    verifier: TokenVerifier, signing_key: tuple[str, PrivateKey], valid_claims: Claims
) -> None:
    claims = valid_claims | {
        "actor": "resident",
        "auth_level": "strong",
        "guardian_of": [{"sub": "c" * 256, "birthdate": "2015-04-01"}],
    }
    assert refusal(verifier, signed(signing_key, claims)) is Reason.INVALID_CLAIMS


@pytest.fixture
def intake_only(auth_settings: AuthSettings) -> TokenVerifier:
    return TokenVerifier(auth_settings.model_copy(update={"service_audience": "careflow-intake"}))


def test_with_a_service_audience_a_platform_wide_token_is_refused(
    intake_only: TokenVerifier, token_for: Callable[..., str], resident: ResidentPrincipal
) -> None:
    assert refusal(intake_only, token_for(resident)) is Reason.WRONG_AUDIENCE
    assert refusal(intake_only, token_for(resident, audience="careflow-workqueue")) is (
        Reason.WRONG_AUDIENCE
    )


@pytest.mark.parametrize("audience", ["careflow-intake", [AUDIENCE, "careflow-intake"]])
def test_with_a_service_audience_a_token_naming_the_service_is_accepted(
    intake_only: TokenVerifier,
    token_for: Callable[..., str],
    resident: ResidentPrincipal,
    audience: str | list[str],
) -> None:
    assert intake_only.verify(token_for(resident, audience=audience)) == resident
