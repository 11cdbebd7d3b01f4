"""membership lifecycle: validity windows and kinds, membership history, who created a service account,
and the staff:manage baseline grant

Existing memberships count from when they were created, as regular memberships, and each gets its
first history period. Reading every branch's rows needs row-level security off for the owner for the
moment of the backfill (FORCE makes it apply to the owner too).

Revision ID: 0008
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0008"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = sa.Enum("regular", "cover", name="membership_kind", native_enum=False, length=20)


def upgrade() -> None:
    op.add_column("memberships", sa.Column("kind", KIND, server_default="regular", nullable=False))
    op.add_column(
        "memberships",
        sa.Column("starts_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.add_column("memberships", sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "membership_periods",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("start_reason", sa.String(length=500), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("end_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_membership_periods_staff_id_staff")),
        sa.ForeignKeyConstraint(["tenant_id"], ["branches.id"], name=op.f("fk_membership_periods_tenant_id_branches")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_membership_periods")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_membership_periods_tenant_id_staff_id_starts_at",
        "membership_periods",
        ["tenant_id", "staff_id", "starts_at"],
        unique=False,
    )
    op.execute("ALTER TABLE memberships NO FORCE ROW LEVEL SECURITY")
    op.execute("UPDATE memberships SET starts_at = created_at")
    op.execute(
        """
        INSERT INTO membership_periods (tenant_id, id, staff_id, roles, kind, starts_at, started_by, start_reason)
        SELECT tenant_id, gen_random_uuid(), staff_id, roles, kind, starts_at, 'migration 0008', 'member before history'
        FROM memberships
        """
    )
    op.execute("ALTER TABLE memberships FORCE ROW LEVEL SECURITY")
    enable_tenant_rls("membership_periods")

    op.add_column("service_accounts", sa.Column("created_by", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_service_accounts_created_by"), "service_accounts", ["created_by"], unique=False)

    op.execute(
        """
        WITH added AS (
          INSERT INTO baseline_grants (role, permission)
          SELECT role, 'staff:manage' FROM (VALUES ('branch_head'), ('head_office_admin')) AS r(role)
          WHERE EXISTS (SELECT 1 FROM baseline_grants)
            AND NOT EXISTS (SELECT 1 FROM baseline_changes WHERE permission = 'staff:manage')
          ON CONFLICT DO NOTHING
          RETURNING role, permission
        )
        INSERT INTO baseline_changes (id, changed_at, actor_label, actor_id, role, permission, granted)
        SELECT gen_random_uuid(), now(), 'migration 0008', NULL, role, permission, true FROM added
        """
    )


def downgrade() -> None:
    """The staff:manage grant stays (revoking it is the head office's call); the schema goes back."""
    op.drop_index(op.f("ix_service_accounts_created_by"), table_name="service_accounts")
    op.drop_column("service_accounts", "created_by")
    disable_tenant_rls("membership_periods")
    op.drop_index("ix_membership_periods_tenant_id_staff_id_starts_at", table_name="membership_periods")
    op.drop_table("membership_periods")
    op.drop_column("memberships", "ends_at")
    op.drop_column("memberships", "starts_at")
    op.drop_column("memberships", "kind")
