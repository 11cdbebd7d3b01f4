"""access: entering a branch in one statement (``enter_branch``)

Every signed-in request binds its transaction to its branch (``set_config('app.tenant_id', …, true)``)
and then reads the caller's standing there under row-level security. Two statements in sequence, each
a round trip and, through SQLAlchemy, about three times a bare driver call's CPU. ``enter_branch`` does
both, in that order, in one call: the binding first (PL/pgSQL runs its statements in order, so the
standing is read with the branch bound, exactly as before), then the same standing query for a member
of staff or a service account. SECURITY INVOKER: it runs as the caller's role, row-level security
included; it grants nothing the caller could not do in two statements.

Revision ID: 0028
Revises: 0027
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTER_BRANCH = """
CREATE FUNCTION enter_branch(branch uuid, subject uuid, service boolean, at timestamptz)
RETURNS TABLE (branch_status text, active boolean, member boolean, number text, name text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
BEGIN
  PERFORM set_config('app.tenant_id', branch::text, true);
  IF service THEN
    RETURN QUERY
      SELECT b.status::text, coalesce(a.active, false), true, a.name::text, a.name::text
      FROM branches b
      LEFT JOIN service_accounts a ON a.tenant_id = b.id AND a.id = subject
      WHERE b.id = branch;
  ELSE
    RETURN QUERY
      SELECT b.status::text, s.status = 'active' AND s.id IS NOT NULL, m.staff_id IS NOT NULL,
             s.employee_number::text, s.display_name::text
      FROM branches b
      LEFT JOIN staff s ON s.id = subject
      LEFT JOIN memberships m ON m.tenant_id = b.id AND m.staff_id = s.id
        AND m.starts_at <= at AND (m.ends_at IS NULL OR m.ends_at > at)
      WHERE b.id = branch;
  END IF;
END
$$
"""


def upgrade() -> None:
    op.execute(ENTER_BRANCH)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS enter_branch(uuid, uuid, boolean, timestamptz)")
