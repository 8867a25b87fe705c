"""Each service's real API, fuzzed by schemathesis with every check, answers as its OpenAPI says.

The service runs as in production (uvicorn, real PostgreSQL and broker,
migrations on start) and schemathesis runs its command line against it, once
with a resident's token and once with a professional's: every status code,
content type, header and body it sees must be documented, schema-valid
requests accepted and invalid ones refused. Any finding fails the test with
schemathesis's report.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from careflow.shared.auth.claims import AuthLevel, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings, BrokerSettings, DatabaseSettings
from careflow.testing.settings import quick_consumer

#: Test cases per operation and phase: enough to reach every documented branch of
#: these small APIs, few enough for a couple of minutes per service on two cores.
MAX_EXAMPLES = 50
SEED = 10
ORGANISATION = "org-1"


def _intake() -> tuple[type[Any], Callable[..., FastAPI]]:
    from careflow.intake.entrypoints.api.app import create_app
    from careflow.intake.settings import Settings

    return Settings, create_app


def _workqueue() -> tuple[type[Any], Callable[..., FastAPI]]:
    from careflow.workqueue.entrypoints.api.app import create_app
    from careflow.workqueue.settings import Settings

    return Settings, create_app


def _notification() -> tuple[type[Any], Callable[..., FastAPI]]:
    from careflow.notification.entrypoints.api.app import create_app
    from careflow.notification.settings import Settings

    return Settings, create_app


def _messaging() -> tuple[type[Any], Callable[..., FastAPI]]:
    from careflow.messaging.entrypoints.api.app import create_app
    from careflow.messaging.settings import Settings

    return Settings, create_app


SERVICES = {
    "intake": _intake,
    "workqueue": _workqueue,
    "messaging": _messaging,
    "notification": _notification,
}


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Runs `app` under uvicorn in a thread of its own (its own event loop); yields its URL."""
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


async def schemathesis(url: str, token: str, tmp_path: Path) -> tuple[int, str]:
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


@pytest.mark.slow
@pytest.mark.parametrize("service", list(SERVICES))
async def test_schemathesis_finds_nothing_in_the_api(
    service: str, postgres, kafka, tmp_path: Path
) -> None:
    settings_class, create_app = SERVICES[service]()
    keys = tmp_path / "keys"
    kid, key = load_signing_key(keys, generate_keypair(keys))
    auth = AuthSettings(jwks_path=keys / "jwks.json")
    settings = settings_class(
        environment="test",
        database=DatabaseSettings(url=await postgres.create_database(), migrate_on_start=True),
        broker=BrokerSettings(bootstrap_servers=kafka.bootstrap_servers, idempotent_producer=False),
        consumer=quick_consumer(),
        auth=auth,
    )
    principals = {
        "resident": ResidentPrincipal(subject="st-resident", auth_level=AuthLevel.STRONG),
        "professional": ProfessionalPrincipal(
            subject="st-professional",
            organisation=ORGANISATION,
            unit="unit-1",
            roles=["nurse", "doctor", "admin"],
        ),
    }
    reports = []
    async with serving(create_app(settings)) as url:
        for who, principal in principals.items():
            token = mint_token(key, kid, principal, issuer=auth.issuer, audience=auth.audience)
            code, output = await schemathesis(url, token, tmp_path)
            if code != 0:
                reports.append(f"--- as {who} (exit {code})\n{output}")
    assert not reports, "\n".join(reports)
