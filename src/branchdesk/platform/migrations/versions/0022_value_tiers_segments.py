"""segments: value tiers and the scoring policy (head office, seeded), branch tier thresholds, client
scores and their history, rule segments, head-office segment templates and segment membership; the
tier and segment permissions in the baseline

Revision ID: 0022
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("branch_tier_thresholds", "client_scores", "client_score_changes", "segments", "segment_members")
# The shipped ladder: 普通 / 金卡 / 白金 / 私人银行 by AUM in CNY.
TIERS = [
    ("standard", 0, "普通", "Standard", 0),
    ("gold", 1, "金卡", "Gold", 50_000),
    ("platinum", 2, "白金", "Platinum", 500_000),
    ("private_banking", 3, "私人银行", "Private banking", 6_000_000),
]
PERMISSIONS = [
    ("tier:define", ("head_office_admin",)),
    ("tier:override", ("branch_head",)),
    ("segment:read", ("branch_head", "customer_manager", "risk_officer")),
    ("segment:manage", ("branch_head", "customer_manager")),
    ("segment:publish", ("head_office_admin",)),
]


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def upgrade() -> None:
    tiers = op.create_table(
        "value_tiers",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False, comment="0 for the lowest tier, higher is more valuable"),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=50), nullable=False),
        sa.Column("min_aum_cny", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.CheckConstraint("min_aum_cny >= 0", name=op.f("ck_value_tiers_threshold_not_negative")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_value_tiers")),
        sa.UniqueConstraint("rank", name=op.f("uq_value_tiers_rank")),
    )
    policy = op.create_table(
        "scoring_policy",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column(
            "dormant_months",
            sa.SmallInteger(),
            nullable=False,
            comment="no interaction and no holding movement for this long: dormant",
        ),
        sa.Column("new_months", sa.SmallInteger(), nullable=False, comment="a client recorded this recently is new"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_scoring_policy_one_row")),
        sa.CheckConstraint(
            "dormant_months BETWEEN 1 AND 60 AND new_months BETWEEN 1 AND 24", name=op.f("ck_scoring_policy_months")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_policy")),
    )
    op.create_table(
        "segment_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("rule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(["published_by"], ["staff.id"], name=op.f("fk_segment_templates_published_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_segment_templates_name")),
    )
    op.create_table(
        "branch_tier_thresholds",
        sa.Column("tier_code", sa.String(length=30), nullable=False),
        sa.Column("min_aum_cny", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _created_at(),
        sa.CheckConstraint("min_aum_cny >= 0", name=op.f("ck_branch_tier_thresholds_threshold_not_negative")),
        sa.ForeignKeyConstraint(["set_by"], ["staff.id"], name=op.f("fk_branch_tier_thresholds_set_by_staff")),
        sa.ForeignKeyConstraint(
            ["tier_code"],
            ["value_tiers.code"],
            name=op.f("fk_branch_tier_thresholds_tier_code_value_tiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_branch_tier_thresholds")),
        sa.UniqueConstraint("tenant_id", "tier_code", name=op.f("uq_branch_tier_thresholds_tenant_id_tier_code")),
        info={"tenant_owned": True},
    )
    op.create_table(
        "client_scores",
        sa.Column("tier", sa.String(length=30), nullable=False),
        sa.Column("recency", sa.SmallInteger(), nullable=False),
        sa.Column("frequency", sa.SmallInteger(), nullable=False),
        sa.Column("monetary", sa.SmallInteger(), nullable=False),
        sa.Column("lifecycle", sa.String(length=20), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interactions_12m", sa.Integer(), nullable=False),
        sa.Column("aum_cny", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "recency BETWEEN 1 AND 5 AND frequency BETWEEN 1 AND 5 AND monetary BETWEEN 1 AND 5",
            name=op.f("ck_client_scores_quintiles"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_client_scores_tenant_id_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_client_scores")),
        info={"tenant_owned": True},
    )
    op.create_index("ix_client_scores_tenant_id_tier_id", "client_scores", ["tenant_id", "tier", "id"])
    op.create_table(
        "client_score_changes",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_value", sa.String(length=30), nullable=True),
        sa.Column("to_value", sa.String(length=30), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_client_score_changes_tenant_id_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_client_score_changes")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_client_score_changes_tenant_id_kind_changed_at",
        "client_score_changes",
        ["tenant_id", "kind", "changed_at", "id"],
    )
    op.create_index(
        "ix_client_score_changes_tenant_id_client_id_changed_at",
        "client_score_changes",
        ["tenant_id", "client_id", "changed_at"],
    )
    op.create_table(
        "segments",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("rule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("materialised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("member_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_segments_created_by_staff")),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["segment_templates.id"],
            name=op.f("fk_segments_template_id_segment_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_segments")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_segments_tenant_id_name")),
        info={"tenant_owned": True},
    )
    op.create_index("uq_segments_tenant_id_template_id", "segments", ["tenant_id", "template_id"], unique=True)
    op.create_table(
        "segment_members",
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_segment_members_tenant_id_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "segment_id"],
            ["segments.tenant_id", "segments.id"],
            name=op.f("fk_segment_members_tenant_id_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_segment_members")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "uq_segment_members_current",
        "segment_members",
        ["tenant_id", "segment_id", "client_id"],
        unique=True,
        postgresql_where=sa.text("left_at IS NULL"),
    )
    op.create_index(
        "ix_segment_members_current_entered",
        "segment_members",
        ["tenant_id", "segment_id", "entered_at", "id"],
        postgresql_where=sa.text("left_at IS NULL"),
    )
    op.create_index("ix_segment_members_tenant_id_client_id", "segment_members", ["tenant_id", "client_id"])
    for table in TENANT_TABLES:
        enable_tenant_rls(table)
    op.bulk_insert(
        tiers,
        [
            {"code": code, "rank": rank, "name_zh": zh, "name_en": en, "min_aum_cny": aum}
            for code, rank, zh, en, aum in TIERS
        ],
    )
    op.bulk_insert(policy, [{"id": 1, "dormant_months": 6, "new_months": 3}])
    shipped = ", ".join(f"('{role}', '{permission}')" for permission, roles in PERMISSIONS for role in roles)
    op.execute(
        f"""
        WITH added AS (
          INSERT INTO baseline_grants (role, permission)
          SELECT role, permission FROM (VALUES {shipped}) AS shipped (role, permission)
          WHERE EXISTS (SELECT 1 FROM baseline_grants)
          ON CONFLICT DO NOTHING
          RETURNING role, permission
        )
        INSERT INTO baseline_changes (id, changed_at, actor_label, actor_id, role, permission, granted)
        SELECT gen_random_uuid(), now(), 'migration 0022', NULL, role, permission, true FROM added
        """
    )


def downgrade() -> None:
    """The tables go; the baseline's grants stay as they are (head office's call)."""
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    op.drop_index("ix_segment_members_tenant_id_client_id", table_name="segment_members")
    op.drop_index("ix_segment_members_current_entered", table_name="segment_members")
    op.drop_index("uq_segment_members_current", table_name="segment_members")
    op.drop_table("segment_members")
    op.drop_index("uq_segments_tenant_id_template_id", table_name="segments")
    op.drop_table("segments")
    op.drop_index("ix_client_score_changes_tenant_id_client_id_changed_at", table_name="client_score_changes")
    op.drop_index("ix_client_score_changes_tenant_id_kind_changed_at", table_name="client_score_changes")
    op.drop_table("client_score_changes")
    op.drop_index("ix_client_scores_tenant_id_tier_id", table_name="client_scores")
    op.drop_table("client_scores")
    op.drop_table("branch_tier_thresholds")
    op.drop_table("segment_templates")
    op.drop_table("scoring_policy")
    op.drop_table("value_tiers")
