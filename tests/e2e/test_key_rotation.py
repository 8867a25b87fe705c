"""Key rotation at the identity provider while a service runs: no restart.

The local OpenID Connect issuer (`careflow.local.issuer`, real HTTP) and the
intake service (uvicorn, real PostgreSQL and broker) run side by side; intake
knows only the issuer's URL (`AUTH__ISSUER_URL`) and finds its keys by
discovery, as in production. The issuer rotates its signing key: tokens signed
with the new key are accepted at once, tokens signed with the old key until
they expire, and the service is never restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import uvicorn
from fastapi import FastAPI

from careflow.intake.entrypoints.api.app import create_app
from careflow.intake.settings import CloserSettings, Settings
from careflow.local.issuer import LocalIssuer, serving
from careflow.shared.settings import AuthSettings, BrokerSettings, DatabaseSettings
from careflow.testing.settings import quick_consumer

#: Long enough to be used before and after the rotation on a loaded machine.
SHORT_LIFETIME = 30


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` under uvicorn in a thread of its own (its own event loop); yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the service did not start")
            await asyncio.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 60)
        sock.close()


async def token(issuer: httpx.AsyncClient, username: str, expires_in: int = 600) -> str:
    form = {"grant_type": "password", "username": username, "expires_in": str(expires_in)}
    response = await issuer.post("/token", data=form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def test_a_key_rotation_at_the_issuer_needs_no_restart(
    postgres, kafka, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    async with (
        serving(tmp_path / "keys", ttl=3600) as issuer,
        httpx.AsyncClient(base_url=issuer.url) as idp,
    ):
        settings = Settings(
            environment="test",
            database=DatabaseSettings(url=await postgres.create_database(), migrate_on_start=True),
            broker=BrokerSettings(
                bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False
            ),
            consumer=quick_consumer(),
            consumers_enabled=False,
            closer=CloserSettings(enabled=False),
            # Only the issuer's address: no key is configured in the service.
            auth=AuthSettings(issuer=issuer.url, issuer_url=issuer.url, leeway_seconds=0),
        )
        app = create_app(settings)
        async with served(app) as url, httpx.AsyncClient(base_url=url) as intake:
            await rotation_while_serving(issuer, idp, intake, app)


async def rotation_while_serving(
    issuer: LocalIssuer, idp: httpx.AsyncClient, intake: httpx.AsyncClient, app: FastAPI
) -> None:
    async def status(access_token: str) -> int:
        headers = {"Authorization": f"Bearer {access_token}"}
        response = await intake.get("/me/cases", headers=headers)
        return response.status_code

    old_kid = issuer.signing_kid
    assert issuer.requests["/jwks"] == 1  # the service read the keys once, at start
    short_old = await token(idp, "dev-resident", expires_in=SHORT_LIFETIME)
    long_old = await token(idp, "resident-rotation")
    assert kid_of(short_old) == kid_of(long_old) == old_kid
    assert await status(short_old) == 200

    rotated = await idp.post("/keys/rotate")
    assert rotated.status_code == 200
    new_kid = rotated.json()["kid"]
    new = await token(idp, "dev-guardian")
    assert kid_of(new) == new_kid != old_kid

    # The new key at once: the unknown kid made the service fetch the JWKS again.
    assert await status(new) == 200
    assert issuer.requests["/jwks"] == 2
    # The old key still verifies: a token never seen before, and one already used.
    assert await status(long_old) == 200
    assert await status(short_old) == 200
    assert app.state.token_verifier.key_ids == {old_kid, new_kid}

    # ... until the token expires (leeway 0), and then it is refused.
    expires = jwt.decode(short_old, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, expires - time.time()) + 1.0)
    assert await status(short_old) == 401
    assert await status(long_old) == 200
    assert await status(new) == 200
    # One fetch per rotation, however many requests: the keys are served from memory.
    assert issuer.requests["/jwks"] == 2
    assert issuer.requests["/.well-known/openid-configuration"] == 1
