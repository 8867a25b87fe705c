"""rate-limit windows, shared by every gateway replica (UNLOGGED: counters need no WAL)

The gateway has no outbox or inbox: it neither publishes nor consumes events.
"""

from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    # UNLOGGED: no WAL per request; a crash empties the table, which only resets the
    # counters. fillfactor 50: room on each page for a row's next version, so the
    # per-request updates stay HOT (no index write).
    op.execute(
        """
        CREATE UNLOGGED TABLE rate_limit_windows (
            key bytea NOT NULL,
            window_start bigint NOT NULL,
            count integer NOT NULL,
            previous integer NOT NULL,
            CONSTRAINT pk_rate_limit_windows PRIMARY KEY (key)
        ) WITH (fillfactor = 50)
        """
    )


def downgrade() -> None:
    op.drop_table("rate_limit_windows")
