"""cases.urgency_rules: the rule-set version that computed a symptom assessment's urgency"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # Null for cases from before the rule sets: their class came from the client.
    op.add_column("cases", sa.Column("urgency_rules", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("cases", "urgency_rules")
