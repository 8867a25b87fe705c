"""Creates the platform tables (outbox, inbox, NOTIFY trigger) in a service database.

Every service's first Alembic migration calls `upgrade()` / `downgrade()`
from here, so all services share one definition of the outbox and inbox. It sits next to
the tables it creates, above `db`, which it needs nothing from.

A later migration of every service drops the NOTIFY trigger again
(`careflow.shared.outbox.wake_migration`): the relay wakes on its own process's commits.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from careflow.shared.outbox.tables import (
    DROP_NOTIFY_SQL,
    NOTIFY_FUNCTION_SQL,
    NOTIFY_TRIGGER_SQL,
    inbox,
    outbox,
)


def create_platform_tables(bind: Connection) -> None:
    outbox.create(bind)
    inbox.create(bind)
    create_commit_notify(bind)


def create_commit_notify(bind: Connection) -> None:
    bind.execute(text(NOTIFY_FUNCTION_SQL))
    bind.execute(text(NOTIFY_TRIGGER_SQL))


def drop_commit_notify(bind: Connection) -> None:
    for statement in DROP_NOTIFY_SQL:
        bind.execute(text(statement))


def create_current_platform_tables(bind: Connection) -> None:
    """The platform tables as every service's migrations leave them (no trigger)."""
    create_platform_tables(bind)
    drop_commit_notify(bind)


def drop_platform_tables(bind: Connection) -> None:
    drop_commit_notify(bind)
    inbox.drop(bind)
    outbox.drop(bind)


def upgrade() -> None:
    from alembic import op

    create_platform_tables(op.get_bind())


def downgrade() -> None:
    from alembic import op

    drop_platform_tables(op.get_bind())
