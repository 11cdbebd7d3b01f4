"""credentials: activation codes, and where each refresh token's sign-in or refresh came from

``activation_codes`` holds single-use codes (Argon2 hashes only) with which a person sets their own
password; like staff identities it belongs to no branch. ``refresh_tokens.user_agent`` and ``address``
let a person see their sessions and where they were used.

Revision ID: 0009
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activation_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_activation_codes_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_codes")),
    )
    op.create_index(op.f("ix_activation_codes_staff_id"), "activation_codes", ["staff_id"], unique=False)
    op.add_column("refresh_tokens", sa.Column("user_agent", sa.String(length=300), nullable=True))
    op.add_column("refresh_tokens", sa.Column("address", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("refresh_tokens", "address")
    op.drop_column("refresh_tokens", "user_agent")
    op.drop_index(op.f("ix_activation_codes_staff_id"), table_name="activation_codes")
    op.drop_table("activation_codes")
