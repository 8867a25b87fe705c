"""The real gateway (uvicorn, its PostgreSQL database) in front of a tiny real upstream."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from careflow.gateway.entrypoints.api.app import create_app
from careflow.gateway.settings import DEFAULT_UPSTREAMS, RateLimitSettings, Settings
from careflow.shared.auth.claims import AuthLevel, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.signing import generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings, RequestLimits
from careflow.testing.servers import ServiceDatabase
from careflow.testing.serving import serving

from .upstream import echo_app


def only(**upstreams: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """These upstreams and none of the default table."""
    return {name: {"enabled": False} for name in DEFAULT_UPSTREAMS} | upstreams


@dataclass
class Edge:
    urls: list[str]  # the replicas
    upstream: str
    seen: Counter[str]
    release: threading.Event
    sign: Callable[[Any], str]
    hot: list[str]  # two more replicas, limits high enough to be judged on local views

    def professional(
        self, sub: str = "pro-1", roles: tuple[str, ...] = ("nurse",)
    ) -> dict[str, str]:
        principal = ProfessionalPrincipal(
            subject=sub, organisation="o", unit="u", roles=list(roles)
        )
        return {"Authorization": f"Bearer {self.sign(principal)}"}

    def resident(self, sub: str = "res-1") -> dict[str, str]:
        principal = ResidentPrincipal(subject=sub, auth_level=AuthLevel.STRONG)
        return {"Authorization": f"Bearer {self.sign(principal)}"}


@pytest.fixture(scope="module")
async def edge(postgres, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Edge]:  # type: ignore[no-untyped-def]
    keys = tmp_path_factory.mktemp("keys")
    kid, key = load_signing_key(keys, generate_keypair(keys))
    auth = AuthSettings(jwks_path=Path(keys) / "jwks.json")
    database: ServiceDatabase = await postgres.create_service_database("gw")
    app, seen, release = echo_app()
    async with contextlib.AsyncExitStack() as stack:
        upstream = await stack.enter_async_context(serving(app))
        down = "http://127.0.0.1:9"  # discard port: nothing listens

        def settings(per_subject: int = 5) -> Settings:
            return Settings(
                environment="test",
                database=database.settings(),
                auth=auth,
                request_limits=RequestLimits(max_body_bytes=64 * 1024),
                # The limits' own store timeout (0.25 s) fails open: a counting statement
                # slower than that on a loaded CI machine admitted a request these tests
                # expect refused. They test the limits, not the outage path.
                rate_limit=RateLimitSettings(
                    per_subject=per_subject, per_address=1000, store_timeout_seconds=30
                ),
                upstreams=only(
                    echo={
                        "base_url": upstream,
                        "timeout_seconds": 5,
                        "rules": [
                            {"path": "/slow", "timeout_seconds": 0.5},
                            {"path": "/echo/pro", "actor": "professional", "roles": ["doctor"]},
                            {"path": "/echo/mine", "actor": "resident"},
                        ],
                    },
                    down={"base_url": down, "retries": 1, "connect_timeout_seconds": 0.5},
                    # The same upstream by host name: cookie jars refuse IP addresses.
                    named={
                        "base_url": upstream.replace("127.0.0.1", "localhost"),
                        "openapi_path": None,
                        "audit_path": None,
                    },
                ),
            )

        # Two replicas sharing one limiter store, as deployed behind a load balancer.
        first = await stack.enter_async_context(serving(create_app(settings())))
        second = await stack.enter_async_context(serving(create_app(settings())))
        hot = [
            await stack.enter_async_context(serving(create_app(settings(per_subject=40))))
            for _ in range(2)
        ]

        def sign(principal: Any) -> str:
            return mint_token(key, kid, principal, issuer=auth.issuer, audience=auth.audience)

        yield Edge([first, second], upstream, seen, release, sign, hot)
