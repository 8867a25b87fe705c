"""The signing keys of an OpenID Connect issuer, found by discovery and kept fresh.

`<issuer_url>/.well-known/openid-configuration` names the issuer and its
`jwks_uri`; the keys published there are fetched over HTTP (httpx, async),
held in memory and fetched again:

- every `jwks_refresh_seconds` in the background, so a retired key stops
  verifying and a new one is usually known before its first token arrives;
- when a token names a kid nobody knows (the issuer rotated its key since the
  last fetch): at once, but at most once per `jwks_min_refetch_seconds`, so
  tokens with made-up kids cannot turn requests into calls to the provider.
  Requests that arrive while a fetch is under way wait for that same fetch.

A failed fetch changes nothing: the keys already known keep verifying and the
failure is logged (the issuer's address and the error type, never a token).
The discovery document's `issuer` must be the issuer tokens are checked
against; an identity provider that names another is refused, not trusted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from careflow.shared.auth.keys import KeyLoadError, VerificationKey, key_from_jwk
from careflow.shared.settings import AuthSettings

DISCOVERY_PATH = "/.well-known/openid-configuration"
# A discovery document or JWKS is a few KiB; a larger answer is not one.
MAX_DOCUMENT_BYTES = 1 << 20
# After a failed background fetch, try again sooner than the regular interval.
RETRY_AFTER_FAILURE = 30.0

logger = logging.getLogger(__name__)


class IssuerError(Exception):
    """The issuer answered, but not with what an OpenID Connect issuer must."""


class IssuerKeys:
    """The current signing keys of one issuer, by kid; `keys` is read on every request."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not settings.issuer_url:
            raise ValueError("IssuerKeys needs AuthSettings.issuer_url")
        self.discovery_url = settings.issuer_url + DISCOVERY_PATH
        self._issuer = settings.issuer
        self._timeout = settings.jwks_timeout_seconds
        self._refresh_every = settings.jwks_refresh_seconds
        self._min_refetch = settings.jwks_min_refetch_seconds
        self._clock = clock
        self._transport = transport
        self._jwks_uri: str | None = None
        # Replaced whole by a fetch, never changed in place: readers need no lock.
        self.keys: Mapping[str, VerificationKey] = {}
        self._fetching: asyncio.Task[bool] | None = None
        self._last_unknown_kid_fetch: float | None = None
        self._background: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Fetch the keys once (a failure is logged, not raised) and keep them fresh."""
        await self.refresh()
        if self._background is None:
            self._background = asyncio.get_running_loop().create_task(
                self._refresh_periodically(), name="careflow-issuer-keys"
            )

    async def stop(self) -> None:
        tasks = [self._background, self._fetching]
        self._background = self._fetching = None
        for task in tasks:
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def refresh(self) -> bool:
        """Fetch the keys now, or join the fetch under way; whether it succeeded."""
        task = self._fetching
        if task is None or task.done():
            task = self._fetching = asyncio.get_running_loop().create_task(self._fetch())
        # Shielded: a caller that gives up (a client hung up) must not cancel
        # the fetch the other waiting requests share.
        return await asyncio.shield(task)

    async def refresh_for_unknown_kid(self) -> None:
        """A token named an unknown kid: fetch, unless one was made for that too recently."""
        task = self._fetching
        if task is not None and not task.done():
            await asyncio.shield(task)
            return
        now = self._clock()
        last = self._last_unknown_kid_fetch
        if last is not None and now - last < self._min_refetch:
            return
        self._last_unknown_kid_fetch = now
        await self.refresh()

    async def _refresh_periodically(self) -> None:
        wait = self._refresh_every
        while True:
            await asyncio.sleep(wait)
            try:
                fetched = await self.refresh()
            except Exception:  # the loop must outlive any one fetch
                logger.exception("refreshing the issuer's signing keys failed unexpectedly")
                fetched = False
            # Until a fetch succeeds again, try sooner than the regular interval.
            wait = self._refresh_every if fetched else min(self._refresh_every, RETRY_AFTER_FAILURE)

    async def _fetch(self) -> bool:
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, follow_redirects=False
            ) as client:
                if self._jwks_uri is None:
                    self._jwks_uri = await self._discover(client)
                document = await _get_json(client, self._jwks_uri)
            keys = self._load(document)
        except (httpx.HTTPError, IssuerError, ValueError) as exc:
            # Discover again next time: the provider may have moved its keys.
            self._jwks_uri = None
            logger.warning(
                "signing keys of %s not refreshed (%s); still verifying with the %d known",
                self.discovery_url,
                _describe(exc),
                len(self.keys),
            )
            return False
        added, removed = keys.keys() - self.keys.keys(), self.keys.keys() - keys.keys()
        self.keys = keys
        if added or removed:
            logger.info(
                "signing keys of %s: %d (added %s; removed %s)",
                self.discovery_url,
                len(keys),
                ", ".join(sorted(added)) or "none",
                ", ".join(sorted(removed)) or "none",
            )
        return True

    async def _discover(self, client: httpx.AsyncClient) -> str:
        document = await _get_json(client, self.discovery_url)
        if document.get("issuer") != self._issuer:
            raise IssuerError(f"the discovery document names another issuer than {self._issuer}")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise IssuerError("the discovery document has no http(s) jwks_uri")
        return jwks_uri

    def _load(self, document: Mapping[str, Any]) -> dict[str, VerificationKey]:
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise IssuerError("the JWKS has no 'keys' list")
        keys: dict[str, VerificationKey] = {}
        twice: set[str] = set()
        for jwk in entries:
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue  # encryption keys (Keycloak publishes one) verify nothing
            try:
                key = key_from_jwk(jwk)
            except KeyLoadError as exc:
                # One key we cannot use (a new algorithm) must not cost us the others.
                logger.warning("issuer key skipped: %s", exc)
                continue
            if key.kid in keys or key.kid in twice:
                # Two keys under one kid would make verification depend on order.
                logger.warning("issuer key %s skipped: its kid is published twice", key.kid)
                keys.pop(key.kid, None)
                twice.add(key.kid)
                continue
            keys[key.kid] = key
        if not keys:
            # More likely a broken deployment than a revocation of every key.
            raise IssuerError("the JWKS holds no usable signing key")
        return keys


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url, headers={"Accept": "application/json"})
    response.raise_for_status()
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise IssuerError(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    document = response.json()
    if not isinstance(document, dict):
        raise IssuerError(f"{url} answered no JSON object")
    return document


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from {exc.request.url}"
    if isinstance(exc, IssuerError | KeyLoadError):
        return str(exc)
    return type(exc).__name__
