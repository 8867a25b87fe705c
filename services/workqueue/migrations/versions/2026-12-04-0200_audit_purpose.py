"""audit_records.purpose: why each read happened (the shared audit contract's purposes)"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # Every record so far comes from listing, opening, taking, transferring,
    # re-prioritising or marking a queue item: "queue_work". The default only fills
    # the old rows; new ones must state theirs.
    op.add_column(
        "audit_records",
        sa.Column("purpose", sa.String(length=40), nullable=False, server_default="queue_work"),
    )
    op.alter_column("audit_records", "purpose", server_default=None)
    # The shared keyset page of an organisation's log, unfiltered, walks (organisation, at);
    # the existing indexes lead with a resident or a case after the organisation.
    op.create_index("ix_audit_records_org_at", "audit_records", ["organisation_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_records_org_at", table_name="audit_records")
    op.drop_column("audit_records", "purpose")
