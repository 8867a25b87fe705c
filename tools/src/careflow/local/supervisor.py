"""Discovering, starting, watching and stopping the service processes of `make run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from careflow.local.tansu import TansuBroker

# Port order: service i listens on base_port + i.
SERVICE_ORDER = (
    "gateway",
    "intake",
    "workqueue",
    "messaging",
    "notification",
    "reminders",
    "complaints",
)


@dataclass
class ServiceProcess:
    """One service: `python -m careflow.<name>` on 127.0.0.1:`port`."""

    name: str
    port: int
    log_path: Path
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    exit_reported: bool = False

    @property
    def address(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            # A session of its own: a terminal's Ctrl-C reaches only the
            # supervisor, which then stops the services in order.
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"careflow.{self.name}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **env},
                start_new_session=True,
            )

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def wait_healthy(self, timeout: float) -> str | None:
        """None once /healthz answers 200; otherwise why not."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                code = self.exit_code()
                if code is not None:
                    return f"exited with code {code}"
                try:
                    if client.get(f"{self.address}/healthz").status_code == 200:
                        return None
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
        return f"/healthz did not answer 200 within {timeout:.0f}s"

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def discover_services(services_dir: Path, base_port: int, log_dir: Path) -> list[ServiceProcess]:
    """Every `services/<name>/` with a pyproject.toml and `src/careflow/<name>/__main__.py`."""
    if not services_dir.is_dir():
        return []
    names = [
        path.name
        for path in services_dir.iterdir()
        if (path / "pyproject.toml").is_file()
        and (path / "src" / "careflow" / path.name / "__main__.py").is_file()
    ]
    # The known services keep fixed ports whichever exist; any other comes after them.
    extra = sorted(set(names) - set(SERVICE_ORDER))
    slots = {name: i for i, name in enumerate((*SERVICE_ORDER, *extra))}
    ordered = [n for n in SERVICE_ORDER if n in names] + extra
    return [ServiceProcess(n, base_port + slots[n], log_dir / f"{n}.log") for n in ordered]


def service_env(
    service: ServiceProcess,
    *,
    database_url: str,
    bootstrap_servers: str,
    jwks_path: Path | None = None,
    issuer_url: str | None = None,
    migration_url: str | None = None,
) -> dict[str, str]:
    """A service's environment; its tokens come from the OIDC issuer at `issuer_url`
    (`make run`'s local issuer) or, for benchmarks, from the keys at `jwks_path`."""
    prefix = service.env_prefix
    migration = {f"{prefix}DATABASE__MIGRATION_URL": migration_url} if migration_url else {}
    if issuer_url is not None:
        # The local issuer names itself by the address services fetch its keys from.
        auth = {f"{prefix}AUTH__ISSUER": issuer_url, f"{prefix}AUTH__ISSUER_URL": issuer_url}
    elif jwks_path is not None:
        auth = {f"{prefix}AUTH__JWKS_PATH": str(jwks_path.resolve())}
    else:
        raise ValueError("service_env needs issuer_url or jwks_path")
    return migration | {
        f"{prefix}DATABASE__URL": database_url,
        f"{prefix}BROKER__BOOTSTRAP_SERVERS": bootstrap_servers,
        f"{prefix}BROKER__IDEMPOTENT_PRODUCER": "false",
        f"{prefix}HTTP_HOST": service.host,
        f"{prefix}HTTP_PORT": str(service.port),
        **auth,
        # The dev tokens `careflow-local` prints last a working day (issuer.py).
        f"{prefix}AUTH__MAX_LIFETIME_SECONDS": str(12 * 3600),
        f"{prefix}TELEMETRY__LOG_JSON": "true",
    }


def gateway_env(gateway: ServiceProcess, services: list[ServiceProcess]) -> dict[str, str]:
    """The gateway's routing table under `make run`: every service that runs here, at its
    address; the known services that do not exist (yet) are left out of the table."""
    running = {s.name: s.address for s in services if s.name != gateway.name}
    table: dict[str, dict[str, object]] = {
        name: {"enabled": False} for name in SERVICE_ORDER if name != gateway.name
    }
    table |= {name: {"enabled": True, "base_url": address} for name, address in running.items()}
    return {f"{gateway.env_prefix}UPSTREAMS": json.dumps(table)}


def stop_services(services: list[ServiceProcess], timeout: float = 10.0) -> None:
    """Terminate all, wait up to `timeout`, then kill what is left."""
    running = [s.process for s in reversed(services) if s.process and s.process.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def watch(services: list[ServiceProcess], tansu: TansuBroker, interval: float) -> None:
    """Report crashes until interrupted; a crashed service leaves the rest running."""
    tansu_reported = False
    while True:
        time.sleep(interval)
        for service in services:
            code = service.exit_code()
            if code is not None and not service.exit_reported:
                service.exit_reported = True
                print(f"\n{service.name} exited with code {code}; last lines:", flush=True)
                print(service.log_tail(), flush=True)
        if not tansu.running and not tansu_reported:
            tansu_reported = True
            print(f"\nTansu stopped; see {tansu.log_path}", flush=True)
