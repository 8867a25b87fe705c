"""audit_records.purpose: why each read happened (the shared audit contract's purposes)"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # Every record so far is a `read_case`, and a case page is read to work on the
    # case: "care". The default only fills the old rows; new ones must state theirs.
    op.add_column(
        "audit_records",
        sa.Column("purpose", sa.String(length=40), nullable=False, server_default="care"),
    )
    op.alter_column("audit_records", "purpose", server_default=None)


def downgrade() -> None:
    op.drop_column("audit_records", "purpose")
