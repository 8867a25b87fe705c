"""Writes the secrets docker-compose.yml mounts (`make compose-secrets`).

Which secrets exist is read from the compose file's top-level `secrets:`, so a
service that adds one there gets it written here too:

  postgres-password                the PostgreSQL superuser's password; the init
                                   script gives every service role the same one
  <service>-database-url           postgresql+asyncpg://<service>:PASSWORD@postgres:5432/<service>
  <service>-database-migration-url the same for <service>_owner, the role that migrates
  anything else                    a random value (keys, tokens, passwords)

A file that exists is kept, so the database volume and the secrets stay in step
(PostgreSQL only reads its password when it creates the volume); `--force`
writes every file anew (then also `docker compose down -v`).

The files must be readable by the services' uid 10001: Compose mounts file
secrets as they are and cannot change their owner or mode. So the directory is
private to its owner (0700) and the files are 0644.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DEFAULT_DIRECTORY = REPO / "deploy" / "docker" / "secrets"
SUPERUSER_SECRET = "postgres-password"  # noqa: S105 (a file name, not a password)
_URL = "-database-url"
_MIGRATION_URL = "-database-migration-url"


def secret_names(compose: dict[str, Any]) -> list[str]:
    """The secrets whose file lives in deploy/docker/secrets/, by their file name."""
    names = []
    for name, definition in (compose.get("secrets") or {}).items():
        source = Path(definition.get("file", ""))
        if source.parent.as_posix() != "deploy/docker/secrets":
            raise ValueError(f"secret {name}: its file must be under ./deploy/docker/secrets/")
        if source.name != name:
            raise ValueError(f"secret {name}: its file must be named {name}")
        names.append(name)
    return names


def _random() -> str:
    # URL-safe, so a password goes into a database URL without percent-encoding.
    return secrets.token_urlsafe(32)


def value_of(name: str, postgres_password: str) -> str:
    if name.endswith(_MIGRATION_URL):
        service = name.removesuffix(_MIGRATION_URL)
        return f"postgresql+asyncpg://{service}_owner:{postgres_password}@postgres:5432/{service}"
    if name.endswith(_URL):
        service = name.removesuffix(_URL)
        return f"postgresql+asyncpg://{service}:{postgres_password}@postgres:5432/{service}"
    return _random()


def write_secrets(directory: Path, compose: dict[str, Any], *, force: bool = False) -> list[str]:
    """Writes the missing secret files (all with `force`); returns the names written."""
    names = secret_names(compose)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    password_file = directory / SUPERUSER_SECRET
    if force or not password_file.exists():
        _write(password_file, _random())
        written = [SUPERUSER_SECRET]
    else:
        written = []
    password = password_file.read_text(encoding="utf-8").strip()
    for name in names:
        path = directory / name
        if name == SUPERUSER_SECRET or (path.exists() and not force):
            continue
        _write(path, value_of(name, password))
        written.append(name)
    return written


def _write(path: Path, value: str) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_text(value + "\n", encoding="utf-8")
    partial.chmod(0o644)
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--directory", type=Path, default=DEFAULT_DIRECTORY)
    parser.add_argument("--force", action="store_true", help="write every secret anew")
    args = parser.parse_args(argv)
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    written = write_secrets(args.directory, compose, force=args.force)
    kept = len(secret_names(compose)) - len(written)
    print(f"{args.directory}: {len(written)} written, {kept} kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
