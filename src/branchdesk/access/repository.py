"""The SQL of entering a branch: a few narrow reads on the hot path of every request.

Plain statements over the tenancy tables (owned by the tenants and service-accounts domains), reading
only the columns a decision needs: never a password hash or personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, String, column, text
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import bound, read

_BRANCH_BY_CODE = text("select id, level = 'head_office' from branches where code = :code")
# The standing of many staff members at once (an event's subscribers), run bound to the branch (row-level
# security shows only its memberships): one row each, found or not. One at a time: enter_branch (0028).
_STAFF_EACH_IN_BRANCH = text(
    "select distinct on (x.id) x.id, b.status, s.status = 'active' and s.id is not null, m.staff_id is not null,"
    " s.employee_number, s.display_name"
    " from branches b"
    " cross join unnest(cast(:subjects as uuid[])) as x(id)"
    " left join staff s on s.id = x.id"
    " left join memberships m on m.tenant_id = b.id and m.staff_id = s.id"
    "  and m.starts_at <= :now and (m.ends_at is null or m.ends_at > :now)"
    " where b.id = :branch"
    " order by x.id, m.staff_id nulls last"
)
# Binds the transaction to the branch, then reads the subject's standing there (migration 0028): one
# statement for the two every signed-in request starts with.
_ENTER = text("select * from enter_branch(:branch, :subject, :service, :now)").columns(
    column("branch_status", String),
    column("active", Boolean),
    column("member", Boolean),
    column("number", String),
    column("name", String),
)  # its columns in order: SQLAlchemy keeps its rows' keys, so it is read directly (platform.database.read)
_ACTIVE_STAFF_BY_NUMBER = text("select id from staff where employee_number = :number and status = 'active'")


@dataclass(frozen=True)
class BranchKey:
    id: uuid.UUID
    head_office: bool


@dataclass(frozen=True)
class Standing:
    """A subject's standing in a branch, read in one statement."""

    branch_status: str
    active: bool  # the staff member or service account may act at all
    member: bool
    number: str | None
    name: str | None


async def branch_key(session: AsyncSession, code: str) -> BranchKey | None:
    row = (await session.execute(_BRANCH_BY_CODE, {"code": code})).first()
    return BranchKey(row[0], row[1]) if row else None


async def enter(
    session: AsyncSession, branch_id: uuid.UUID, subject_id: uuid.UUID, *, service: bool
) -> Standing | None:
    """Bind ``session``'s transaction to the branch and read the subject's standing there, in one statement
    (``enter_branch``: the same as ``set_config`` and then the standing, under row-level security)."""
    values = {"branch": branch_id, "subject": subject_id, "service": service, "now": utcnow()}
    found: Sequence[Any] = await read(session, _ENTER, values)
    bound(session, branch_id)
    return Standing(*found[0]) if found else None


async def standings(
    session: AsyncSession, branch_id: uuid.UUID, staff_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Standing]:
    """:func:`standing` of many staff members in one statement, by staff id."""
    if not staff_ids:
        return {}
    values = {"branch": branch_id, "subjects": list(set(staff_ids)), "now": utcnow()}
    return {row[0]: Standing(*row[1:]) for row in await session.execute(_STAFF_EACH_IN_BRANCH, values)}


async def active_staff_id(session: AsyncSession, employee_number: str) -> uuid.UUID | None:
    staff_id: uuid.UUID | None = await session.scalar(_ACTIVE_STAFF_BY_NUMBER, {"number": employee_number})
    return staff_id
