"""deliveries: NOTIFY careflow_notification_deliveries on insert (wakes idle senders)"""

from alembic import op

revision = "0003"
down_revision = "0002"

# Statement level: one NOTIFY per insert statement, delivered on commit only and
# collapsed by PostgreSQL within a transaction; never for a rolled-back insert.
FUNCTION = """
CREATE OR REPLACE FUNCTION notification_deliveries_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('careflow_notification_deliveries', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
TRIGGER = """
CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries
FOR EACH STATEMENT EXECUTE FUNCTION notification_deliveries_notify()
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    op.execute(TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS deliveries_notify ON deliveries")
    op.execute("DROP FUNCTION IF EXISTS notification_deliveries_notify()")
