"""case messages: cases as intake told them, messages, read states; audit records"""

import sqlalchemy as sa
from alembic import op

revision = "msg_0110"
down_revision = "msg_0100"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "message_cases",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("resident_id", sa.Uuid, nullable=False),
        sa.Column("organisation_id", sa.String(128), nullable=False),
        sa.Column("unit_id", sa.String(128)),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("identification", sa.String(16), nullable=False),
        sa.Column("proxy_contact", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("guardian_id", sa.Uuid),
        sa.Column("closed_at", TZ),
        sa.Column("closing_reason", sa.String(40)),
        sa.Column("open_proposal_id", sa.Uuid),
        sa.Column("objection_deadline", TZ),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_message_cases"),
    )
    op.create_table(
        "case_messages",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("author_side", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("sent_at", TZ, nullable=False),
        sa.Column("objects_to_proposal_id", sa.Uuid),
        sa.PrimaryKeyConstraint("id", name="pk_case_messages"),
        sa.UniqueConstraint("seq", name="uq_case_messages_seq"),
    )
    op.create_index("ix_case_messages_case_seq", "case_messages", ["case_id", "seq"])
    op.create_index("ix_case_messages_author_sent", "case_messages", ["author_id", "sent_at"])
    op.create_table(
        "case_read_states",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("read_seq", sa.BigInteger, nullable=False),
        sa.Column("read_at", TZ, nullable=False),
        sa.Column("read_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "side", name="pk_case_read_states"),
    )
    op.create_table(
        "audit_records",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("organisation_id", sa.String(128), nullable=False),
        sa.Column("professional_id", sa.String(255), nullable=False),
        sa.Column("unit_id", sa.String(128)),
        sa.Column("resident_id", sa.Uuid, nullable=False),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_records"),
    )
    op.create_index("ix_audit_records_org_at", "audit_records", ["organisation_id", "at"])
    op.create_index(
        "ix_audit_records_org_resident_at",
        "audit_records",
        ["organisation_id", "resident_id", "at"],
    )
    op.create_index(
        "ix_audit_records_org_case_at", "audit_records", ["organisation_id", "case_id", "at"]
    )


def downgrade() -> None:
    op.drop_table("audit_records")
    op.drop_table("case_read_states")
    op.drop_table("case_messages")
    op.drop_table("message_cases")
