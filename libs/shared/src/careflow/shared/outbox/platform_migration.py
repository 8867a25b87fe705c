"""Creates the platform tables (outbox, inbox, NOTIFY trigger) in a service database.

Every service's first Alembic migration calls `upgrade()` / `downgrade()`
from here, so all services share one definition of the outbox and inbox. It sits next to
the tables it creates, above `db`, which it needs nothing from.
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
    bind.execute(text(NOTIFY_FUNCTION_SQL))
    bind.execute(text(NOTIFY_TRIGGER_SQL))


def drop_platform_tables(bind: Connection) -> None:
    for statement in DROP_NOTIFY_SQL:
        bind.execute(text(statement))
    inbox.drop(bind)
    outbox.drop(bind)


def upgrade() -> None:
    from alembic import op

    create_platform_tables(op.get_bind())


def downgrade() -> None:
    from alembic import op

    drop_platform_tables(op.get_bind())
