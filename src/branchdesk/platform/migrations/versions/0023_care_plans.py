"""care: care plans, follow-ups, planner runs and skips, per-branch care settings

Tenant-owned tables with row-level security. ``follow_ups`` is unique on (plan, client, occurrence): the
planner inserts with ON CONFLICT DO NOTHING, so it creates each follow-up once however often it runs.

Revision ID: 0023
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0023"
# Also the merge point of the holdings (0019) and scoring (0022) branches, both from 0018: one head.
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("care_plans", "follow_ups", "care_plan_runs", "care_skips", "care_settings")


def _tenant_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("tenant_id", sa.Uuid(), nullable=False), sa.Column("id", sa.Uuid(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "care_plans",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column(
            "offsets", postgresql.ARRAY(sa.SmallInteger()), nullable=False, comment="days from the trigger's date"
        ),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False, comment="What the follow-up asks for"),
        sa.Column("assign_to", sa.String(length=10), nullable=False),
        sa.Column("assignee_role", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False, comment="1 urgent … 4 low (rules.RANK)"),
        sa.Column("shift", sa.String(length=10), nullable=False),
        sa.Column("contact_from", sa.Time(), nullable=False),
        sa.Column("contact_until", sa.Time(), nullable=False),
        sa.Column(
            "retry_days", sa.SmallInteger(), nullable=False, comment="a 'not reached' follow-up is due again after"
        ),
        sa.Column("max_retries", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("segment_id", sa.Uuid(), nullable=True, comment="segment_entry: the segment entered"),
        sa.Column("tier", sa.String(length=30), nullable=True, comment="tier_rhythm: the value tier served"),
        sa.Column("every_months", sa.SmallInteger(), nullable=True, comment="tier_rhythm: 1 monthly, 3 quarterly…"),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *_tenant_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("contact_from < contact_until", name=op.f("ck_care_plans_contact_hours_in_order")),
        sa.CheckConstraint(
            "(assign_to = 'role') = (assignee_role IS NOT NULL)",
            name=op.f("ck_care_plans_role_named_when_assigned_to_role"),
        ),
        sa.CheckConstraint(
            "(trigger = 'segment_entry') = (segment_id IS NOT NULL)", name=op.f("ck_care_plans_segment_named_for_entry")
        ),
        sa.CheckConstraint(
            "(trigger = 'tier_rhythm') = (tier IS NOT NULL AND every_months IS NOT NULL)",
            name=op.f("ck_care_plans_tier_rhythm_named"),
        ),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_care_plans_created_by_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "segment_id"],
            ["segments.tenant_id", "segments.id"],
            name=op.f("fk_care_plans_tenant_id_segment_id_segments"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_plans")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_care_plans_tenant_id_name")),
        info={"tenant_owned": True},
    )
    op.create_table(
        "follow_ups",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("occurrence", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=False),
        sa.Column(
            "covering_for_id", sa.Uuid(), nullable=True, comment="whose follow-up a cover holds while they are away"
        ),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("contact_from", sa.Time(), nullable=False),
        sa.Column("contact_until", sa.Time(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Uuid(), nullable=True),
        sa.Column("interaction_id", sa.Uuid(), nullable=True, comment="the interaction its completion logged"),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *_tenant_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("state <> 'done' OR outcome IS NOT NULL", name=op.f("ck_follow_ups_done_has_an_outcome")),
        sa.ForeignKeyConstraint(["assignee_id"], ["staff.id"], name=op.f("fk_follow_ups_assignee_id_staff")),
        sa.ForeignKeyConstraint(["completed_by"], ["staff.id"], name=op.f("fk_follow_ups_completed_by_staff")),
        sa.ForeignKeyConstraint(["covering_for_id"], ["staff.id"], name=op.f("fk_follow_ups_covering_for_id_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_follow_ups_tenant_id_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["care_plans.tenant_id", "care_plans.id"],
            name=op.f("fk_follow_ups_tenant_id_plan_id_care_plans"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint(
            "tenant_id",
            "plan_id",
            "client_id",
            "occurrence",
            name=op.f("uq_follow_ups_tenant_id_plan_id_client_id_occurrence"),
        ),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_follow_ups_open_by_assignee",
        "follow_ups",
        ["tenant_id", "assignee_id", "due_on", "priority"],
        unique=False,
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_index("ix_follow_ups_tenant_id_due_on_id", "follow_ups", ["tenant_id", "due_on", "id"], unique=False)
    op.create_index(
        "ix_follow_ups_tenant_id_client_id_due_on", "follow_ups", ["tenant_id", "client_id", "due_on"], unique=False
    )
    op.create_table(
        "care_plan_runs",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("skipped", postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment="{reason: count}"),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["care_plans.tenant_id", "care_plans.id"],
            name=op.f("fk_care_plan_runs_tenant_id_plan_id_care_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_plan_runs")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_care_plan_runs_tenant_id_plan_id_ran_at", "care_plan_runs", ["tenant_id", "plan_id", "ran_at"], unique=False
    )
    op.create_table(
        "care_skips",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("occurrence", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_care_skips_tenant_id_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["care_plans.tenant_id", "care_plans.id"],
            name=op.f("fk_care_skips_tenant_id_plan_id_care_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_skips")),
        sa.UniqueConstraint(
            "tenant_id",
            "plan_id",
            "client_id",
            "occurrence",
            name=op.f("uq_care_skips_tenant_id_plan_id_client_id_occurrence"),
        ),
        info={"tenant_owned": True},
    )
    op.create_table(
        "care_settings",
        sa.Column("quiet_start", sa.Time(), nullable=False),
        sa.Column("quiet_end", sa.Time(), nullable=False),
        sa.Column("weekly_cap", sa.SmallInteger(), nullable=False),
        sa.Column("escalate_after_days", sa.SmallInteger(), nullable=False, comment="business days overdue"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *_tenant_columns(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_care_settings_tenant_id")),
        info={"tenant_owned": True},
    )
    for table in TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(table)
        op.drop_table(table)
