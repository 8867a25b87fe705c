"""resident_cases (organisation of each case), audit_records (professionals' reads)"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resident_cases",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("resident_id", sa.Uuid, nullable=False),
        sa.Column("organisation_id", sa.String(128), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_resident_cases"),
    )
    op.create_index(
        "ix_resident_cases_resident_organisation",
        "resident_cases",
        ["resident_id", "organisation_id"],
    )
    op.create_table(
        "audit_records",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("professional_id", sa.String(128), nullable=False),
        sa.Column("organisation_id", sa.String(128), nullable=False),
        sa.Column("unit_id", sa.String(128)),
        sa.Column("resident_id", sa.Uuid, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_records"),
    )
    op.create_index("ix_audit_records_organisation_at", "audit_records", ["organisation_id", "at"])
    op.create_index("ix_audit_records_resident", "audit_records", ["resident_id"])


def downgrade() -> None:
    op.drop_table("audit_records")
    op.drop_table("resident_cases")
