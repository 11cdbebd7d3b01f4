"""crm: each client's assets under management (AUM, in CNY) and its last holding movement

The columns the holdings feed keeps current (never recomputed per request) and that scoring, tiers,
segments and dormancy read: ``aum_cny`` (the sum of the client's holdings, converted to CNY with the
feed's rate table), ``aum_as_of`` (when the feed last set it) and ``last_movement_at`` (the latest change
of any of the client's holdings). Zero and empty until a holdings feed runs.

Revision ID: 0018
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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


def downgrade() -> None:
    op.drop_index("ix_clients_tenant_id_aum_cny", table_name="clients")
    op.drop_column("clients", "last_movement_at")
    op.drop_column("clients", "aum_as_of")
    op.drop_column("clients", "aum_cny")
