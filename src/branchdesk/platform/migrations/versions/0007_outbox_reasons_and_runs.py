"""outbox: why a row was given up, and the key of a scheduled run

``dead_reason`` says why a row is dead (a payload its job cannot take, or too many dispatches);
``run_key`` (``<job>:<period>``) makes a scheduled period's row unique per branch, so scheduled work
is decided in PostgreSQL and handed over once.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("dead_reason", sa.String(length=500), nullable=True))
    op.add_column("outbox", sa.Column("run_key", sa.String(length=200), nullable=True))
    op.create_unique_constraint(op.f("uq_outbox_run_key_tenant_id"), "outbox", ["run_key", "tenant_id"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_outbox_run_key_tenant_id"), "outbox", type_="unique")
    op.drop_column("outbox", "run_key")
    op.drop_column("outbox", "dead_reason")
