"""notifications.organisation_id: on whose behalf a request without a case was made"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    # Requests recorded before this revision said on no one's behalf: null, and they
    # stay hidden from professionals as they were.
    op.add_column("notifications", sa.Column("organisation_id", sa.String(128)))


def downgrade() -> None:
    op.drop_column("notifications", "organisation_id")
