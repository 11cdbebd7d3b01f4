"""The SQL of entering a branch: a few narrow reads on the hot path of every request.

Plain statements over the tenancy tables (owned by the tenants and service-accounts domains), reading
only the columns a decision needs: never a password hash or personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.clock import utcnow

_BRANCH_BY_CODE = text("select id, level = 'head_office' from branches where code = :code")
# Runs bound to the branch: row-level security shows only that branch's memberships and accounts.
_STAFF_IN_BRANCH = text(
    "select b.status, s.status = 'active' and s.id is not null, m.staff_id is not null,"
    " s.employee_number, s.display_name"
    " from branches b"
    " left join staff s on s.id = :subject"
    " left join memberships m on m.tenant_id = b.id and m.staff_id = s.id"
    # a membership counts only inside its window: a cover before its start or after its end does not
    "  and m.starts_at <= :now and (m.ends_at is null or m.ends_at > :now)"
    " where b.id = :branch"
)
# The same for many staff members at once (an event's subscribers): one row each, found or not.
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
_SERVICE_IN_BRANCH = text(
    "select b.status, coalesce(a.active, false), true, a.name, a.name"
    " from branches b"
    " left join service_accounts a on a.tenant_id = b.id and a.id = :subject"
    " where b.id = :branch"
)
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


async def standing(
    session: AsyncSession, branch_id: uuid.UUID, subject_id: uuid.UUID, *, service: bool
) -> Standing | None:
    if service:
        row = (await session.execute(_SERVICE_IN_BRANCH, {"branch": branch_id, "subject": subject_id})).first()
    else:
        values = {"branch": branch_id, "subject": subject_id, "now": utcnow()}
        row = (await session.execute(_STAFF_IN_BRANCH, values)).first()
    return Standing(*row) if row else None


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
