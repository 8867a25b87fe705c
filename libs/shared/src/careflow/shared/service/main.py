"""The command line of every service: `python -m careflow.<name> [serve|migrate]`.

`serve` (the default) runs migrations in the lifespan (unless disabled) and
serves HTTP, consumers and the relay in one process; `migrate` only migrates,
for a deployment that runs migrations as a separate job (it reads only the
<PREFIX>ENVIRONMENT and <PREFIX>DATABASE__* settings). Both migrate with
`database.migration_url` (the owner role) when it is set.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi import FastAPI

from careflow.shared.settings import ServiceSettings, migration_settings


def run(
    name: str,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: Callable[[ServiceSettings], FastAPI],
    migrations: Path,
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m careflow.{name}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    if args.command == "migrate":
        from careflow.shared.db.migrate import migrate

        # The database settings alone: a migration Job is given no other secret.
        prefix = getattr(settings_factory, "model_config", {}).get("env_prefix")
        database = migration_settings(prefix).database if prefix else settings_factory().database
        migrate(migrations, database)
        return 0
    settings = settings_factory()
    import uvicorn

    app = app_factory(settings)
    # A service process (not a test starting many apps): see gc_tuning.
    app.state.freeze_gc_after_start = True
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # the service's JSON logging stays in charge
        access_log=False,  # access lines would carry raw paths with ids
        proxy_headers=True,
    )
    return 0
