"""Drops the outbox's NOTIFY trigger from a service database.

Every service runs this as a migration of its own after its platform tables: the relay
now wakes on its own process's commits (careflow.shared.outbox.relay says why), and a
notifying commit is serialised with every other one on the server, WAL flush included.
Downgrading puts the trigger back, for a relay of the version before.
"""

from __future__ import annotations

from careflow.shared.outbox.platform_migration import create_commit_notify, drop_commit_notify


def upgrade() -> None:
    from alembic import op

    drop_commit_notify(op.get_bind())


def downgrade() -> None:
    from alembic import op

    create_commit_notify(op.get_bind())
