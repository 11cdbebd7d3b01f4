"""outbox: rows given up after too many dispatches

A row whose job keeps failing is marked dead instead of being sent forever; dead rows leave the
pending index the relay scans.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_outbox_pending", table_name="outbox", postgresql_where="completed_at IS NULL")
    op.create_index(
        "ix_outbox_pending", "outbox", ["created_at"], unique=False,
        postgresql_where="completed_at IS NULL AND dead_at IS NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox", postgresql_where="completed_at IS NULL AND dead_at IS NULL")
    op.create_index("ix_outbox_pending", "outbox", ["created_at"], unique=False, postgresql_where="completed_at IS NULL")
    op.drop_column("outbox", "dead_at")
