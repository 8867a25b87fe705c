"""queue_items.response_due_at: submission + the class's target response time"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

# CareFlow's default targets when this revision was written (contracts.urgency's
# DEFAULT_SCALE). Items already in a queue get their due time from them; an
# organisation with its own scale gets its targets on items from now on.
_BACKFILL = """
UPDATE queue_items SET response_due_at = submitted_at + CASE urgency
    WHEN 'P0' THEN interval '0 seconds'
    WHEN 'P1' THEN interval '2 hours'
    WHEN 'P2' THEN interval '24 hours'
    WHEN 'P3' THEN interval '3 days'
    WHEN 'P4' THEN interval '7 days'
    WHEN 'P5' THEN interval '14 days'
    WHEN 'P6' THEN interval '28 days'
    WHEN 'P7' THEN interval '90 days'
END
WHERE urgency IS NOT NULL
"""


def upgrade() -> None:
    op.add_column("queue_items", sa.Column("response_due_at", sa.DateTime(timezone=True)))
    op.execute(_BACKFILL)
    op.create_index(
        "ix_queue_items_free_due",
        "queue_items",
        ["response_due_at"],
        postgresql_where=sa.text("status = 'free'"),
    )


def downgrade() -> None:
    op.drop_index("ix_queue_items_free_due", table_name="queue_items")
    op.drop_column("queue_items", "response_due_at")
