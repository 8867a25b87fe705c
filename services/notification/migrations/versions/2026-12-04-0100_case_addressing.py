"""resident_cases: whether the case is anonymous, and the guardian of a proxy contact"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # Cases noted before this revision: identified, no guardian (what notification
    # assumed of them until now).
    op.add_column(
        "resident_cases",
        sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("resident_cases", sa.Column("guardian_id", sa.Uuid))
    op.create_index("ix_resident_cases_guardian", "resident_cases", ["guardian_id"])


def downgrade() -> None:
    op.drop_index("ix_resident_cases_guardian", table_name="resident_cases")
    op.drop_column("resident_cases", "guardian_id")
    op.drop_column("resident_cases", "anonymous")
