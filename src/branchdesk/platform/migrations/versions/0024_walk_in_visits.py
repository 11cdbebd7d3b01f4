"""visits: walk-in visits, their queue tickets and the per-line, per-day ticket counters; the visit and
queue permissions in the baseline

Databases seeded before this revision get the new permissions for the roles the shipped baseline
names (recorded as baseline changes, like 0016); a new database gets them from the baseline sync.

Revision ID: 0024
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0024"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("visits", "queue_tickets", "queue_counters")
FLOOR = ("branch_head", "lobby_manager", "teller", "customer_manager")
PERMISSIONS = [
    ("visit:register", ("branch_head", "lobby_manager")),
    ("visit:read", FLOOR),
    ("queue:serve", ("branch_head", "teller", "customer_manager")),
    ("queue:transfer", FLOOR),
    ("queue:metrics", ("branch_head", "lobby_manager")),
    ("queue.counter:serve", ("branch_head", "teller")),
    ("queue.customer_manager:serve", ("branch_head", "customer_manager")),
    ("queue.vip_room:serve", ("branch_head", "customer_manager")),
    ("queue.self_service:serve", ("branch_head", "teller")),
]


def _tenant_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("tenant_id", sa.Uuid(), nullable=False), sa.Column("id", sa.Uuid(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("local_day", sa.Date(), nullable=False, comment="The branch's local day the visit was registered"),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.Uuid(), nullable=True),
        sa.Column(
            "line", sa.String(length=30), nullable=False, comment="The current ticket's line (rules.ServiceLine)"
        ),
        sa.Column("ticket_number", sa.String(length=10), nullable=False, comment="The current ticket's number"),
        sa.Column(
            "state", sa.String(length=20), nullable=False, comment="The current ticket's state (rules.TicketState)"
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Uuid(), nullable=True),
        sa.Column("services_done", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("products_of_interest", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("referral_raised", sa.Boolean(), nullable=True),
        sa.Column("referral_note", sa.String(length=500), nullable=True),
        sa.Column("survey_sent", sa.Boolean(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *_tenant_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["ended_by"], ["staff.id"], name=op.f("fk_visits_ended_by_staff")),
        sa.ForeignKeyConstraint(["registered_by"], ["staff.id"], name=op.f("fk_visits_registered_by_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_visits_tenant_id_client_id_clients"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_visits")),
        info={"tenant_owned": True},
    )
    op.create_index("ix_visits_tenant_id_registered_at_id", "visits", ["tenant_id", "registered_at", "id"])
    op.create_index("ix_visits_tenant_id_local_day_line", "visits", ["tenant_id", "local_day", "line"])
    op.create_index("ix_visits_tenant_id_client_id", "visits", ["tenant_id", "client_id"])
    op.create_table(
        "queue_tickets",
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.String(length=30), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("called_by", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("served_by", sa.Uuid(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True, comment="Served, no-show or transferred"),
        sa.Column("transferred_to", sa.String(length=30), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True, comment="Why it was transferred"),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(["called_by"], ["staff.id"], name=op.f("fk_queue_tickets_called_by_staff")),
        sa.ForeignKeyConstraint(["served_by"], ["staff.id"], name=op.f("fk_queue_tickets_served_by_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "visit_id"],
            ["visits.tenant_id", "visits.id"],
            name=op.f("fk_queue_tickets_tenant_id_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_queue_tickets")),
        sa.UniqueConstraint(
            "tenant_id", "line", "local_day", "seq", name=op.f("uq_queue_tickets_tenant_id_line_local_day_seq")
        ),
        info={"tenant_owned": True},
    )
    op.create_index("ix_queue_tickets_tenant_id_visit_id", "queue_tickets", ["tenant_id", "visit_id"])
    op.create_index(
        "ix_queue_tickets_waiting",
        "queue_tickets",
        ["tenant_id", "line", "local_day", "issued_at", "id"],
        postgresql_where=sa.text("state = 'waiting'"),
    )
    op.create_index("ix_queue_tickets_tenant_id_line_ended_at", "queue_tickets", ["tenant_id", "line", "ended_at"])
    op.create_table(
        "queue_counters",
        sa.Column("line", sa.String(length=30), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        *_tenant_columns(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_queue_counters")),
        sa.UniqueConstraint("tenant_id", "line", "local_day", name=op.f("uq_queue_counters_tenant_id_line_local_day")),
        info={"tenant_owned": True},
    )
    for table in TENANT_TABLES:
        enable_tenant_rls(table)
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
        SELECT gen_random_uuid(), now(), 'migration 0024', NULL, role, permission, true FROM added
        """
    )


def downgrade() -> None:
    """The tables go; the baseline's grants stay as they are (head office's call)."""
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    op.drop_table("queue_counters")
    for index in (
        "ix_queue_tickets_tenant_id_line_ended_at",
        "ix_queue_tickets_waiting",
        "ix_queue_tickets_tenant_id_visit_id",
    ):
        op.drop_index(index, table_name="queue_tickets")
    op.drop_table("queue_tickets")
    for index in (
        "ix_visits_tenant_id_client_id",
        "ix_visits_tenant_id_local_day_line",
        "ix_visits_tenant_id_registered_at_id",
    ):
        op.drop_index(index, table_name="visits")
    op.drop_table("visits")
