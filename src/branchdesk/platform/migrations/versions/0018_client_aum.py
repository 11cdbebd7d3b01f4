"""crm: each client's AUM and last holding movement; the notification inbox; staff absences and covers

The columns the holdings feed keeps current (never recomputed per request) and that scoring, tiers,
segments and dormancy read: ``aum_cny`` (the sum of the client's holdings, converted to CNY with the
feed's rate table), ``aum_as_of`` (when the feed last set it) and ``last_movement_at`` (the latest change
of any of the client's holdings). Zero and empty until a holdings feed runs.

Two tenant-owned tables every working-together domain writes to, with row-level security:
``notifications`` (a staff member's inbox, one row per recipient and dedupe key) and ``staff_absences``
(who is away when, and who covers).

Revision ID: 0018
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "clients", sa.Column("aum_cny", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False)
    )
    op.add_column("clients", sa.Column("aum_as_of", sa.DateTime(timezone=True), nullable=True))
    op.add_column("clients", sa.Column("last_movement_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_clients_tenant_id_aum_cny", "clients", ["tenant_id", "aum_cny"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["recipient_id"], ["staff.id"], name=op.f("fk_notifications_recipient_id_staff")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "tenant_id", "recipient_id", "dedupe_key", name=op.f("uq_notifications_tenant_id_recipient_id_dedupe_key")
        ),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_notifications_tenant_id_recipient_id_id",
        "notifications",
        ["tenant_id", "recipient_id", sa.text("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_notifications_tenant_id_recipient_id_unread",
        "notifications",
        ["tenant_id", "recipient_id"],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    enable_tenant_rls("notifications")
    op.create_table(
        "staff_absences",
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cover_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_staff_absences_ends_after_start")),
        sa.CheckConstraint("cover_id IS NULL OR cover_id <> staff_id", name=op.f("ck_staff_absences_cover_not_self")),
        sa.ForeignKeyConstraint(["cover_id"], ["staff.id"], name=op.f("fk_staff_absences_cover_id_staff")),
        sa.ForeignKeyConstraint(["recorded_by"], ["staff.id"], name=op.f("fk_staff_absences_recorded_by_staff")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_staff_absences_staff_id_staff")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_staff_absences")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_staff_absences_tenant_id_staff_id_starts_at",
        "staff_absences",
        ["tenant_id", "staff_id", "starts_at"],
        unique=False,
    )
    op.create_index("ix_staff_absences_tenant_id_cover_id", "staff_absences", ["tenant_id", "cover_id"], unique=False)
    enable_tenant_rls("staff_absences")


def downgrade() -> None:
    disable_tenant_rls("staff_absences")
    op.drop_table("staff_absences")
    disable_tenant_rls("notifications")
    op.drop_table("notifications")
    op.drop_index("ix_clients_tenant_id_aum_cny", table_name="clients")
    op.drop_column("clients", "last_movement_at")
    op.drop_column("clients", "aum_as_of")
    op.drop_column("clients", "aum_cny")
