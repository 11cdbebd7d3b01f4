"""notification preferences; head-office directives with read attestation

``notification_preferences`` (tenant-owned): how a staff member receives each kind of notification in a
branch (inbox, live, e-mail digest); no row means every channel on.

``directives`` (platform-wide: head office's, never edited once published; a correction is a new
version that supersedes it) and, tenant-owned with row-level security, what each branch does with one:
``directive_deliveries`` (reached the branch; reminder and escalation sent once each),
``directive_attestations`` (once per member, never changed; late after the deadline) and
``directive_questions`` (the branch's thread with head office).

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("inbox", sa.Boolean(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("email_digest", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_notification_preferences_staff_id_staff")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint(
            "tenant_id", "staff_id", "kind", name=op.f("uq_notification_preferences_tenant_id_staff_id_kind")
        ),
        info={"tenant_owned": True},
    )
    enable_tenant_rls("notification_preferences")
    op.create_table(
        "directives",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("series_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("attachments", sa.ARRAY(sa.String(length=500)), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "policy",
                "compliance",
                "risk",
                "operations",
                "product",
                "service",
                name="directive_category",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "target",
            sa.Enum("all", "level", "region", "list", name="directive_target", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("target_level", sa.String(length=20), nullable=True),
        sa.Column("target_region_id", sa.Uuid(), nullable=True),
        sa.Column("target_branch_ids", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("roles", sa.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("cardinality(roles) > 0", name=op.f("ck_directives_roles_named")),
        sa.ForeignKeyConstraint(["published_by"], ["staff.id"], name=op.f("fk_directives_published_by_staff")),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["directives.id"], name=op.f("fk_directives_supersedes_id_directives")
        ),
        sa.ForeignKeyConstraint(
            ["target_region_id"], ["branches.id"], name=op.f("fk_directives_target_region_id_branches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directives")),
        sa.UniqueConstraint("series_id", "version", name=op.f("uq_directives_series_id_version")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_directives_supersedes_id")),
    )
    op.create_index("ix_directives_published_at", "directives", ["published_at"], unique=False)
    op.create_table(
        "directive_attestations",
        sa.Column("directive_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"], ["directives.id"], name=op.f("fk_directive_attestations_directive_id_directives")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_directive_attestations_staff_id_staff")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_directive_attestations")),
        sa.UniqueConstraint(
            "tenant_id",
            "directive_id",
            "staff_id",
            name=op.f("uq_directive_attestations_tenant_id_directive_id_staff_id"),
        ),
        info={"tenant_owned": True},
    )
    op.create_table(
        "directive_deliveries",
        sa.Column("directive_id", sa.Uuid(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"], ["directives.id"], name=op.f("fk_directive_deliveries_directive_id_directives")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_directive_deliveries")),
        sa.UniqueConstraint("tenant_id", "directive_id", name=op.f("uq_directive_deliveries_tenant_id_directive_id")),
        info={"tenant_owned": True},
    )
    op.create_table(
        "directive_questions",
        sa.Column("directive_id", sa.Uuid(), nullable=False),
        sa.Column("asked_by", sa.Uuid(), nullable=False),
        sa.Column("question", sa.String(length=2000), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=2000), nullable=True),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["answered_by"], ["staff.id"], name=op.f("fk_directive_questions_answered_by_staff")),
        sa.ForeignKeyConstraint(["asked_by"], ["staff.id"], name=op.f("fk_directive_questions_asked_by_staff")),
        sa.ForeignKeyConstraint(
            ["directive_id"], ["directives.id"], name=op.f("fk_directive_questions_directive_id_directives")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_directive_questions")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_directive_questions_directive_id", "directive_questions", ["tenant_id", "directive_id"], unique=False
    )
    enable_tenant_rls("directive_attestations")
    enable_tenant_rls("directive_deliveries")
    enable_tenant_rls("directive_questions")


def downgrade() -> None:
    for table in ("directive_questions", "directive_deliveries", "directive_attestations"):
        disable_tenant_rls(table)
        op.drop_table(table)
    op.drop_index("ix_directives_published_at", table_name="directives")
    op.drop_table("directives")
    disable_tenant_rls("notification_preferences")
    op.drop_table("notification_preferences")
