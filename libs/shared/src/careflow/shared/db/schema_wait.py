"""Waiting at start-up until the database schema is what this build's code needs.

Where a service does not migrate on start (Kubernetes: a separate migration Job
runs as the owner role), a pod of a new image can start before the Job has run.
Serving then would answer with errors, or write to columns that are not there
yet. So the process waits, before it serves or consumes, while the database's
Alembic revision is missing or behind this build's head; the orchestrator's
start-up probe bounds the wait. A revision this build does not know is newer
(an image rolled back after its successor migrated): migrations are additive
until the old code is gone, so the older code starts, with a warning.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from careflow.shared.db.migrate import alembic_config

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
# How often a continuing wait is logged again (the first check always logs).
LOG_EVERY_SECONDS = 30.0


@dataclass(frozen=True)
class SchemaState:
    """The database's revisions against this build's heads."""

    database: frozenset[str]
    heads: frozenset[str]
    unknown: frozenset[str]

    @property
    def ready(self) -> bool:
        return self.database == self.heads or bool(self.unknown)


def compare(script: ScriptDirectory, database: frozenset[str]) -> SchemaState:
    unknown = set()
    for revision in database:
        try:
            if script.get_revision(revision) is None:
                unknown.add(revision)
        except CommandError:
            unknown.add(revision)
    return SchemaState(database, frozenset(script.get_heads()), frozenset(unknown))


async def database_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The revisions in alembic_version; none while the table does not exist."""
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(row[0] for row in rows)
    except ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) == "42P01":  # undefined_table: never migrated
            return frozenset()
        raise


async def wait_for_schema(
    script_location: Path,
    engine: AsyncEngine,
    *,
    poll_seconds: float = POLL_SECONDS,
    service: str = "service",
) -> SchemaState:
    """Return once the schema is at this build's heads (or newer); poll until then.

    A database that does not answer yet counts as not ready (the same wait)."""
    script = ScriptDirectory.from_config(alembic_config(script_location, "postgresql://"))
    last_logged = float("-inf")
    while True:
        try:
            state = compare(script, await database_revisions(engine))
        except (DBAPIError, OSError) as exc:
            state, reason = None, f"database not reachable ({type(exc).__name__})"
        else:
            reason = (
                f"database at {sorted(state.database) or 'no revision'},"
                f" this build needs {sorted(state.heads)}"
            )
        if state is not None and state.ready:
            if state.unknown:
                log.warning(
                    "%s: database schema at %s is newer than this build (%s); starting",
                    service,
                    sorted(state.unknown),
                    sorted(state.heads),
                )
            return state
        now = time.monotonic()
        if now - last_logged >= LOG_EVERY_SECONDS:
            log.warning("%s: waiting for migrations: %s", service, reason)
            last_logged = now
        await asyncio.sleep(poll_seconds)
