"""The local OpenID Connect issuer of `make run`: discovery, JWKS and tokens for development users.

    python -m careflow.local.issuer serve [--keys var/keys] [--host 127.0.0.1] [--port 8090]
    python -m careflow.local.issuer token dev-professional [--url http://127.0.0.1:8090]
    python -m careflow.local.issuer rotate [--url ...]          # a new signing key
    python -m careflow.local.issuer retire KID [--url ...]      # stop publishing an old key

Services verify its tokens exactly as they verify a production provider's
(`AUTH__ISSUER_URL`: discovery, JWKS over HTTP, refetch on an unknown kid), so
local runs and tests take the production path. Endpoints:

- `GET /.well-known/openid-configuration`: issuer, jwks_uri, token_endpoint.
- `GET /jwks`: the public keys, newest last; the newest signs.
- `POST /token` (form, RFC 6749 §4.3 shape): `grant_type=password`,
  `username` one of `DEV_USERS`, or `resident-<anything>` for a strongly
  authenticated resident of that subject (scripted runs want fresh residents);
  optional `expires_in` (seconds, at most the issuer's token lifetime). No
  password: this is a development issuer on the loopback interface only.
- `POST /keys/rotate`: a new key signs from now on; the old ones stay
  published, so their tokens verify until they expire.
- `POST /keys/retire` (form `kid`): an old key is no longer published.

Keys live in `<keys>/` as `careflow.shared.auth.signing` writes them, so they
survive a restart of `make run`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from aiohttp.typedefs import Handler

from careflow.local.dev_token import DEV_GROUP, DEV_ORGANISATION, DEV_UNIT
from careflow.shared.auth.claims import (
    AuthLevel,
    Child,
    Principal,
    ProfessionalPrincipal,
    ResidentPrincipal,
)
from careflow.shared.auth.signing import (
    JWKS_FILE,
    PrivateKey,
    generate_keypair,
    load_signing_key,
    mint_token,
)

DEFAULT_PORT = 8090
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
AUDIENCE = "careflow"
#: A working day: `make run` lets its services accept tokens this long-lived.
TOKEN_LIFETIME = 12 * 3600
RESIDENT_PREFIX = "resident-"


def _professional(subject: str, *roles: str) -> ProfessionalPrincipal:
    return ProfessionalPrincipal(
        subject=subject,
        organisation=DEV_ORGANISATION,
        unit=DEV_UNIT,
        groups=[DEV_GROUP],
        roles=list(roles),
    )


DEV_USERS: dict[str, Principal] = {
    "dev-professional": _professional("dev-professional", "admin"),
    "dev-nurse": _professional("dev-nurse", "nurse"),
    "dev-doctor": _professional("dev-doctor", "doctor"),
    "dev-auditor": _professional("dev-auditor", "auditor"),
    "dev-resident": ResidentPrincipal(subject="dev-resident", auth_level=AuthLevel.STRONG),
    "dev-resident-anonymous": ResidentPrincipal(
        subject="dev-resident-anonymous", auth_level=AuthLevel.ANONYMOUS
    ),
    "dev-guardian": ResidentPrincipal(
        subject="dev-guardian",
        auth_level=AuthLevel.STRONG,
        guardian_of=[Child(subject="dev-child", birth_date="2016-05-01")],
    ),
}


def dev_user(username: str) -> Principal | None:
    """The principal a development user name stands for, if any."""
    if username in DEV_USERS:
        return DEV_USERS[username]
    if username.startswith(RESIDENT_PREFIX) and len(username) > len(RESIDENT_PREFIX):
        try:
            return ResidentPrincipal(subject=username, auth_level=AuthLevel.STRONG)
        except ValueError:
            return None
    return None


class LocalIssuer:
    """The issuer's keys and its aiohttp application; `url` is also its `iss`."""

    def __init__(self, keys: Path, url: str, *, ttl: int = TOKEN_LIFETIME) -> None:
        self.keys_dir = keys
        self.url = url.rstrip("/")
        self.ttl = ttl
        if not (keys / JWKS_FILE).exists():
            generate_keypair(keys)
        self._signing = self._newest()
        self._lock = asyncio.Lock()
        #: Requests served, by path: tests read how often services fetched keys.
        self.requests: Counter[str] = Counter()

    def _published(self) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = json.loads((self.keys_dir / JWKS_FILE).read_text())["keys"]
        return keys

    def _newest(self) -> tuple[str, PrivateKey]:
        return load_signing_key(self.keys_dir, self._published()[-1]["kid"])

    @property
    def signing_kid(self) -> str:
        return self._signing[0]

    def token(self, principal: Principal, ttl: int | None = None) -> str:
        kid, key = self._signing
        lifetime = self.ttl if ttl is None else ttl
        return mint_token(key, kid, principal, issuer=self.url, audience=AUDIENCE, ttl=lifetime)

    async def rotate(self) -> str:
        async with self._lock:
            # RSA key generation takes a while; the issuer keeps answering meanwhile.
            kid = await asyncio.to_thread(generate_keypair, self.keys_dir)
            self._signing = self._newest()
            return kid

    async def retire(self, kid: str) -> bool:
        """Stop publishing `kid`; False when it is unknown. The signing key cannot be retired."""
        async with self._lock:
            published = self._published()
            if kid == self.signing_kid or kid not in {key["kid"] for key in published}:
                return False
            remaining = [key for key in published if key["kid"] != kid]
            path = self.keys_dir / JWKS_FILE
            path.write_text(json.dumps({"keys": remaining}, indent=2) + "\n")
            (self.keys_dir / f"{kid}.private.pem").unlink(missing_ok=True)
            (self.keys_dir / f"{kid}.public.pem").unlink(missing_ok=True)
            return True

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024, middlewares=[self._count])
        app.add_routes(
            [
                web.get("/.well-known/openid-configuration", self._discovery),
                web.get("/jwks", self._jwks),
                web.post("/token", self._token),
                web.post("/keys/rotate", self._rotate),
                web.post("/keys/retire", self._retire),
            ]
        )
        return app

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests[request.path] += 1
        return await handler(request)

    async def _discovery(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.url,
                "jwks_uri": f"{self.url}/jwks",
                "token_endpoint": f"{self.url}/token",
                "grant_types_supported": ["password"],
                "response_types_supported": ["token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
                "token_endpoint_auth_methods_supported": ["none"],
            }
        )

    async def _jwks(self, _request: web.Request) -> web.Response:
        return web.json_response({"keys": self._published()})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "password":
            return _oauth_error("unsupported_grant_type", "grant_type must be password")
        principal = dev_user(str(form.get("username", "")))
        if principal is None:
            return _oauth_error("invalid_grant", "no such development user")
        ttl = self.ttl
        if "expires_in" in form:
            try:
                ttl = int(str(form["expires_in"]))
            except ValueError:
                return _oauth_error("invalid_request", "expires_in must be a whole number")
            if not 1 <= ttl <= self.ttl:
                return _oauth_error("invalid_request", f"expires_in must be 1..{self.ttl}")
        body = {"access_token": self.token(principal, ttl), "token_type": "Bearer"}
        return web.json_response(body | {"expires_in": ttl}, headers=_NO_STORE)

    async def _rotate(self, _request: web.Request) -> web.Response:
        kid = await self.rotate()
        return web.json_response({"kid": kid, "published": [k["kid"] for k in self._published()]})

    async def _retire(self, request: web.Request) -> web.Response:
        kid = str((await request.post()).get("kid", ""))
        if not await self.retire(kid):
            raise web.HTTPConflict(text="unknown kid, or the key that signs now")
        return web.json_response({"published": [k["kid"] for k in self._published()]})


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(error: str, description: str) -> web.Response:
    return web.json_response(
        {"error": error, "error_description": description}, status=400, headers=_NO_STORE
    )


@contextlib.asynccontextmanager
async def serving(
    keys: Path, *, host: str = "127.0.0.1", port: int = 0, ttl: int = TOKEN_LIFETIME
) -> AsyncIterator[LocalIssuer]:
    """The issuer on `host:port` (0: a free port) in the running event loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    issuer = LocalIssuer(keys, f"http://{host}:{sock.getsockname()[1]}", ttl=ttl)
    runner = web.AppRunner(issuer.app(), access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield issuer
    finally:
        await runner.cleanup()
        sock.close()


# Clients: what `make run`, `make demo` and tests call.


def fetch_token(url: str, username: str, *, expires_in: int | None = None) -> str:
    """An access token for a development user from the issuer at `url`."""
    form = {"grant_type": "password", "username": username}
    if expires_in is not None:
        form["expires_in"] = str(expires_in)
    response = httpx.post(f"{url}/token", data=form, timeout=10.0)
    response.raise_for_status()
    return str(response.json()["access_token"])


def _post(url: str, path: str, **form: str) -> dict[str, Any]:
    response = httpx.post(f"{url}{path}", data=form, timeout=30.0)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


class IssuerProcess:
    """`python -m careflow.local.issuer serve` as a child process of `make run`."""

    def __init__(self, keys: Path, *, host: str, port: int, log_path: Path) -> None:
        self.keys, self.host, self.port, self.log_path = keys, host, port, log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        command = [sys.executable, "-m", "careflow.local.issuer", "serve"]
        command += ["--keys", str(self.keys), "--host", self.host, "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the local issuer exited; see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/.well-known/openid-configuration", timeout=1).is_success:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the local issuer did not answer within {timeout:.0f}s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


async def _serve(keys: Path, host: str, port: int, ttl: int) -> None:
    async with serving(keys, host=host, port=port, ttl=ttl) as issuer:
        print(f"local OpenID Connect issuer {issuer.url} (keys {keys})", flush=True)
        await asyncio.Event().wait()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m careflow.local.issuer", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the issuer")
    serve.add_argument("--keys", type=Path, default=Path("var/keys"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--ttl", type=int, default=TOKEN_LIFETIME, help="token lifetime, seconds")
    token = commands.add_parser("token", help="print a token for a development user")
    token.add_argument("username", help=f"{', '.join(DEV_USERS)} or {RESIDENT_PREFIX}<anything>")
    token.add_argument("--expires-in", type=int)
    commands.add_parser("rotate", help="sign with a new key from now on")
    retire = commands.add_parser("retire", help="stop publishing an old key")
    retire.add_argument("kid")
    for command in (token, commands.choices["rotate"], retire):
        command.add_argument("--url", default=DEFAULT_URL, help="the running issuer")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_serve(args.keys, args.host, args.port, args.ttl))
        elif args.command == "token":
            print(fetch_token(args.url, args.username, expires_in=args.expires_in))
        elif args.command == "rotate":
            print(json.dumps(_post(args.url, "/keys/rotate")))
        else:
            print(json.dumps(_post(args.url, "/keys/retire", kid=args.kid)))
    except httpx.HTTPError as exc:
        print(f"careflow.local.issuer: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
