"""audit_records.purpose: why each read happened (the shared audit contract's purposes)"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # Every record so far is a `read_communication_history`, whose purpose is
    # "communication_review". The default only fills the old rows; new ones state theirs.
    op.add_column(
        "audit_records",
        sa.Column(
            "purpose", sa.String(length=40), nullable=False, server_default="communication_review"
        ),
    )
    op.alter_column("audit_records", "purpose", server_default=None)


def downgrade() -> None:
    op.drop_column("audit_records", "purpose")
