"""resident_names: the queue's last sort key, from intake's restricted names topic"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "resident_names",
        sa.Column("resident_id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("resident_names")
