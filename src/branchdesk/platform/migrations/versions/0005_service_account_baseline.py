"""baseline: branch heads manage their branch's service accounts

Databases seeded before service accounts existed lack this baseline grant; new ones get it from
the shipped baseline. Recorded as a baseline change so point-in-time reconstruction sees it.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        WITH added AS (
          INSERT INTO baseline_grants (role, permission)
          SELECT 'branch_head', 'service_account:manage'
          WHERE EXISTS (SELECT 1 FROM baseline_grants)
          ON CONFLICT DO NOTHING
          RETURNING role, permission
        )
        INSERT INTO baseline_changes (id, changed_at, actor_label, actor_id, role, permission, granted)
        SELECT gen_random_uuid(), now(), 'migration 0005', NULL, role, permission, true FROM added
        """
    )


def downgrade() -> None:
    """Nothing to undo in the schema; the grant stays, and revoking it is the head office's call."""
