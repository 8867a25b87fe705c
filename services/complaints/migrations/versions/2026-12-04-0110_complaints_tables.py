"""regions, clinics, the addressing catalogue, cases, replies, groups, deliveries, audit"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

TZ = sa.DateTime(timezone=True)
HSA = sa.String(40)
SUBJECT = sa.String(255)


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("code", sa.String(2), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("board_hsa_id", HSA),
        sa.Column("board_name", sa.String(200)),
        sa.Column("board_set_at", TZ),
        sa.Column("board_set_by", SUBJECT),
        sa.PrimaryKeyConstraint("code", name="pk_regions"),
    )
    op.create_table(
        "clinics",
        sa.Column("hsa_id", HSA, nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("added_at", TZ, nullable=False),
        sa.Column("added_by", SUBJECT, nullable=False),
        sa.PrimaryKeyConstraint("hsa_id", name="pk_clinics"),
    )
    op.create_index("ix_clinics_region_name", "clinics", ["region_code", "name"])
    op.create_table(
        "clinic_endpoints",
        sa.Column("hsa_id", HSA, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("system_id", SUBJECT, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("hsa_id", name="pk_clinic_endpoints"),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("place_hsa_id", HSA, nullable=False),
        sa.Column("place_kind", sa.String(8), nullable=False),
        sa.Column("handled_in", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("resident_id", sa.Uuid),
        sa.Column("answer_channel", sa.String(16)),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("answered_at", TZ),
        sa.Column("where_text", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("unknown_clinic", sa.Text),
        sa.Column("group_id", sa.Uuid),
        sa.Column("handler_id", SUBJECT),
        sa.Column("external_status", sa.String(16)),
        sa.PrimaryKeyConstraint("case_id", name="pk_cases"),
    )
    op.create_index("ix_cases_place", "cases", ["place_hsa_id", "submitted_at"])
    op.create_index("ix_cases_resident", "cases", ["resident_id", "submitted_at"])
    op.create_index(
        "ix_cases_open_due", "cases", ["due_at"], postgresql_where=sa.text("status <> 'answered'")
    )
    op.create_table(
        "replies",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("author", SUBJECT, nullable=False),
        sa.Column("final", sa.Boolean, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_replies"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_replies_case_id_cases"),
    )
    op.create_index("ix_replies_case", "replies", ["case_id"])
    op.create_table(
        "groups",
        sa.Column("group_id", sa.Uuid, nullable=False),
        sa.Column("place_hsa_id", HSA, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("group_id", name="pk_groups"),
    )
    op.create_index("ix_groups_place", "groups", ["place_hsa_id"])
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Uuid, nullable=False),
        sa.Column("member_id", SUBJECT, nullable=False),
        sa.PrimaryKeyConstraint("group_id", "member_id", name="pk_group_members"),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.group_id"], name="fk_group_members_group_id_groups"
        ),
    )
    op.create_index("ix_group_members_member", "group_members", ["member_id"])
    op.create_table(
        "deliveries",
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("delivered_at", TZ),
        sa.Column("last_error", sa.String(80)),
        sa.PrimaryKeyConstraint("case_id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_deliveries_case_id_cases"),
    )
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "audit_records",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("professional_id", SUBJECT, nullable=False),
        sa.Column("organisation_id", sa.String(128), nullable=False),
        sa.Column("unit_id", sa.String(128)),
        sa.Column("resident_id", sa.Uuid),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_records"),
    )
    op.create_index("ix_audit_records_organisation_at", "audit_records", ["organisation_id", "at"])


def downgrade() -> None:
    for table in (
        "audit_records",
        "deliveries",
        "group_members",
        "groups",
        "replies",
        "cases",
        "clinic_endpoints",
        "clinics",
        "regions",
    ):
        op.drop_table(table)
