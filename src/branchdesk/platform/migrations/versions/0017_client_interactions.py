"""crm: interactions (the client timeline) and each client's last contact

A new tenant-owned table, with row-level security; ``clients.last_contact_at`` (kept by logging an
interaction; segmentation and dormancy filter on it), filled from the timeline, empty until then.
Databases seeded before this revision get the shipped baseline's grants of ``interaction:log`` with
their data scope, recorded as baseline changes so point-in-time reconstruction sees them.

Revision ID: 0017
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0017"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("clients", sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_clients_tenant_id_last_contact_at", "clients", ["tenant_id", "last_contact_at"], unique=False)
    op.create_table(
        "interactions",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("logged_by_id", sa.Uuid(), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.String(length=2000), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("next_step", sa.String(length=500), nullable=True),
        sa.Column("next_step_on", sa.Date(), nullable=True),
        sa.Column("products", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["logged_by_id"], ["staff.id"], name=op.f("fk_interactions_logged_by_id_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_interactions_tenant_id_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_interactions")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_interactions_tenant_id_client_id_occurred_at",
        "interactions",
        ["tenant_id", "client_id", sa.text("occurred_at DESC"), sa.text("id DESC")],
        unique=False,
    )
    enable_tenant_rls("interactions")
    op.execute(
        """
        WITH added AS (
          INSERT INTO baseline_grants (role, permission, data_scope)
          SELECT role, permission, scope
          FROM (VALUES ('branch_head', 'interaction:log', 'branch'), ('customer_manager', 'interaction:log', 'own'))
            AS shipped (role, permission, scope)
          WHERE EXISTS (SELECT 1 FROM baseline_grants)
          ON CONFLICT DO NOTHING
          RETURNING role, permission
        )
        INSERT INTO baseline_changes (id, changed_at, actor_label, actor_id, role, permission, granted)
        SELECT gen_random_uuid(), now(), 'migration 0017', NULL, role, permission, true FROM added
        """
    )


def downgrade() -> None:
    """The table and column go; the baseline's grants stay as they are (head office's call)."""
    disable_tenant_rls("interactions")
    op.drop_index("ix_interactions_tenant_id_client_id_occurred_at", table_name="interactions")
    op.drop_table("interactions")
    op.drop_index("ix_clients_tenant_id_last_contact_at", table_name="clients")
    op.drop_column("clients", "last_contact_at")
