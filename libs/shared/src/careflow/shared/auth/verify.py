"""Access-token verification: a bearer JWT in, a `Principal` out, or a refusal.

Every check that could let a forged token through happens before pyjwt sees
the key: the header's `alg` must be in the configured allow-list AND usable
with the key its `kid` names, so `none`, HMAC-with-the-public-key and
algorithm downgrades fail whatever the token claims. The header's `typ` must
name an access token, so another JWT the same issuer signed (an ID token) is
no access token here; and a token issued for longer than the configured
lifetime is refused, however far its `exp` still is.

Keys come from the settings (static PEM keys, a JWKS file) and, with
`AuthSettings.issuer_url`, from the OpenID Connect issuer (`issuer_keys`).
`authenticate` is what requests await: a token naming a kid nobody knows makes
the issuer's keys be fetched again (rate-limited) and is then checked once
more, so a key rotation at the issuer needs no restart. `verify` checks
against the keys known now and never waits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from enum import StrEnum

import jwt
from cachetools import TLRUCache
from pydantic import ValidationError

from careflow.shared.auth.claims import Principal, parse_principal
from careflow.shared.auth.issuer_keys import IssuerKeys
from careflow.shared.auth.keys import VerificationKey, load_keys
from careflow.shared.settings import AuthSettings

REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud")
# Tokens that passed every check, kept until they expire. A client reuses one
# token for many requests; verifying its signature and parsing its claims again
# was ~7 % of a request's CPU. Keyed by the whole signed token, so a hit is
# byte for byte the token that was verified; a hit whose key is no longer known (the
# issuer retired it) is verified afresh, so it is refused as it would be uncached.
VERIFIED_CACHE_SIZE = 4096

logger = logging.getLogger(__name__)


class Reason(StrEnum):
    """Why a token was refused; safe to log, names no token content."""

    MALFORMED = "malformed"
    MISSING_KID = "missing_kid"
    UNKNOWN_KID = "unknown_kid"
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_TYPE = "wrong_type"
    LIFETIME_TOO_LONG = "lifetime_too_long"
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIMS = "invalid_claims"


class AuthenticationError(Exception):
    """The token does not authenticate anyone; `reason` says why."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


# Most specific first: pyjwt's exceptions subclass one another.
_PYJWT_REASONS: tuple[tuple[type[jwt.PyJWTError], Reason], ...] = (
    (jwt.ExpiredSignatureError, Reason.EXPIRED),
    (jwt.ImmatureSignatureError, Reason.NOT_YET_VALID),
    (jwt.InvalidIssuerError, Reason.WRONG_ISSUER),
    (jwt.InvalidAudienceError, Reason.WRONG_AUDIENCE),
    (jwt.MissingRequiredClaimError, Reason.MISSING_CLAIM),
    (jwt.InvalidSignatureError, Reason.BAD_SIGNATURE),
    (jwt.InvalidAlgorithmError, Reason.ALGORITHM_NOT_ALLOWED),
    (jwt.InvalidKeyError, Reason.ALGORITHM_NOT_ALLOWED),
    (jwt.DecodeError, Reason.MALFORMED),
)


def _reason_for(exc: jwt.PyJWTError) -> Reason:
    for error_type, reason in _PYJWT_REASONS:
        if isinstance(exc, error_type):
            return reason
    # Ill-typed registered claims (iat not a number, sub not a string, ...).
    return Reason.INVALID_CLAIMS


class TokenVerifier:
    """Verifies CareFlow access tokens against the configured keys."""

    def __init__(
        self,
        settings: AuthSettings,
        keys: Mapping[str, VerificationKey] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        issuer_keys: IssuerKeys | None = None,
    ) -> None:
        self._issuer = settings.issuer
        self._audience = settings.service_audience or settings.audience
        self._types = frozenset(t.lower() for t in settings.token_types)
        self._max_lifetime = settings.max_lifetime_seconds
        self._leeway = settings.leeway_seconds
        self._allowed = frozenset(settings.algorithms)
        self._keys = dict(keys) if keys is not None else load_keys(settings)
        if issuer_keys is None and settings.issuer_url:
            issuer_keys = IssuerKeys(settings)
        self._issuer_keys = issuer_keys
        self._verified: TLRUCache[str, tuple[Principal, float, str]] = TLRUCache(
            maxsize=VERIFIED_CACHE_SIZE, ttu=lambda _token, hit, _now: hit[1], timer=clock
        )
        if not self._keys and self._issuer_keys is None:
            # Legal (e.g. a worker with no API), but a likely cause of "every call is 401".
            logger.warning("no verification keys configured: every access token will be refused")

    @property
    def key_ids(self) -> frozenset[str]:
        """The key ids this verifier accepts now."""
        issued = self._issuer_keys.keys if self._issuer_keys is not None else {}
        return frozenset(self._keys) | frozenset(issued)

    async def start(self) -> None:
        """Fetch the issuer's keys and keep them fresh (nothing to do with static keys only)."""
        if self._issuer_keys is not None:
            await self._issuer_keys.start()

    async def stop(self) -> None:
        if self._issuer_keys is not None:
            await self._issuer_keys.stop()

    def verify(self, token: str) -> Principal:
        """Return the principal `token` proves with the keys known now, or raise."""
        try:
            return self._checked(token)
        except AuthenticationError as exc:
            logger.info("access token refused: %s", exc.reason.value)
            raise

    async def authenticate(self, token: str) -> Principal:
        """As `verify`, but a kid nobody knows makes the issuer's keys be fetched first."""
        try:
            return self._checked(token)
        except AuthenticationError as exc:
            if exc.reason is not Reason.UNKNOWN_KID or self._issuer_keys is None:
                logger.info("access token refused: %s", exc.reason.value)
                raise
        await self._issuer_keys.refresh_for_unknown_kid()
        return self.verify(token)

    def _checked(self, token: str) -> Principal:
        verified = self._verified.get(token)
        if verified is not None and self._known(verified[2]):
            return verified[0]
        principal, expires_at, kid = self._verify(token)
        self._verified[token] = (principal, expires_at, kid)
        return principal

    def _known(self, kid: str) -> bool:
        return kid in self._keys or (
            self._issuer_keys is not None and kid in self._issuer_keys.keys
        )

    def _verify(self, token: str) -> tuple[Principal, float, str]:
        key, algorithm, kid = self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(_reason_for(exc)) from None
        # pyjwt checked that both are numbers.
        if float(claims["exp"]) - float(claims["iat"]) > self._max_lifetime:
            raise AuthenticationError(Reason.LIFETIME_TOO_LONG)
        try:
            # pyjwt accepted `exp` (required) with the leeway: the hit ends where it would.
            return parse_principal(claims), float(claims["exp"]) + self._leeway, kid
        except ValidationError:
            # `from None`: the validation error quotes claim values.
            raise AuthenticationError(Reason.INVALID_CLAIMS) from None

    def _key_for(self, token: str) -> tuple[VerificationKey, str, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError(Reason.MALFORMED) from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._allowed:
            raise AuthenticationError(Reason.ALGORITHM_NOT_ALLOWED)
        token_type = header.get("typ")
        if not isinstance(token_type, str) or token_type.lower() not in self._types:
            raise AuthenticationError(Reason.WRONG_TYPE)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError(Reason.MISSING_KID)
        key = self._keys.get(kid)
        if key is None and self._issuer_keys is not None:
            key = self._issuer_keys.keys.get(kid)
        if key is None:
            raise AuthenticationError(Reason.UNKNOWN_KID)
        if algorithm not in key.algorithms:
            raise AuthenticationError(Reason.ALGORITHM_NOT_ALLOWED)
        return key, algorithm, kid
