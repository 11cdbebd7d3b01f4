"""All SQL of the tenants domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Row, Select, Uuid, any_, bindparam, delete, func, null, or_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import read
from branchdesk.tenants.models import (
    Branch,
    BranchLevel,
    BranchStatus,
    Membership,
    MembershipPeriod,
    RefreshToken,
    Staff,
)


async def branch_by_code(session: AsyncSession, code: str) -> Branch | None:
    return await session.scalar(select(Branch).where(Branch.code == code))


async def branches_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Branch]:
    return list(await session.scalars(select(Branch).where(Branch.id.in_(ids))))


async def head_office(session: AsyncSession) -> Branch | None:
    return await session.scalar(select(Branch).where(Branch.level == BranchLevel.HEAD_OFFICE))


def branches_query(status: BranchStatus | None = None) -> Select[Branch]:
    stmt = select(Branch)
    return stmt if status is None else stmt.where(Branch.status == status)


async def all_branches(session: AsyncSession) -> list[Branch]:
    return list(await session.scalars(select(Branch).order_by(Branch.code)))


async def staff_by_id(session: AsyncSession, staff_id: uuid.UUID) -> Staff | None:
    return await session.get(Staff, staff_id)


async def staff_by_employee_number(
    session: AsyncSession, employee_number: str, *, for_update: bool = False
) -> Staff | None:
    stmt = select(Staff).where(Staff.employee_number == employee_number)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def staff_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Staff]:
    return list(await session.scalars(select(Staff).where(Staff.id.in_(ids))))


async def membership(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.tenant_id == branch_id, Membership.staff_id == staff_id)
    )


async def memberships_of_staff(
    session: AsyncSession, branch_id: uuid.UUID, staff_ids: Sequence[uuid.UUID]
) -> list[Membership]:
    return list(
        await session.scalars(
            select(Membership).where(Membership.tenant_id == branch_id, Membership.staff_id.in_(staff_ids))
        )
    )


def members_query(branch_id: uuid.UUID) -> Select[Staff]:
    return select(Staff).join(Membership, Membership.staff_id == Staff.id).where(Membership.tenant_id == branch_id)


async def overview(platform_session: AsyncSession, staff_id: uuid.UUID) -> list[Row[Any]]:
    """Cross-branch (platform scope), one statement: the staff member (the columns ``me`` shows, no
    password hash or personal data) with each branch they belong to and their roles there."""
    return list(
        await platform_session.execute(
            select(
                Staff.id,
                Staff.employee_number,
                Staff.display_name,
                Staff.email,
                Staff.status,
                Membership.roles,
                Branch,
                Membership.kind,
                Membership.starts_at,
                Membership.ends_at,
            )
            .outerjoin(Membership, Membership.staff_id == Staff.id)
            .outerjoin(Branch, Branch.id == Membership.tenant_id)
            .where(Staff.id == staff_id)
            .order_by(Branch.code)
        )
    )


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update())


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_sessions_of(session: AsyncSession, staff_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.staff_id == staff_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# Hot reads: the columns a staff list shows, as light rows (never a password hash or personal data), in
# the order ``service._member`` reads them by position.
MEMBER_COLUMNS = (
    Staff.id,
    Staff.employee_number,
    Staff.display_name,
    Staff.email,
    # The list asyncpg decodes, as it is: SQLAlchemy's ARRAY processing copies it item by item (2 % of a
    # staff page's CPU under bench/api.py's load).
    type_coerce(Membership.roles, NullType()).label("roles"),
)
# The membership's window (kind, start, end), read with a page only when the response shows memberships:
# decoding two timestamps and an enum for each of 50 rows was 9 % of a staff page's instructions.
WINDOW_COLUMNS = (Membership.kind, Membership.starts_at, Membership.ends_at)
# In its place when it is not shown: the same row shape (a kind is never null, so null says "not read").
_WINDOW_NOT_READ = (null().label("kind"), null().label("starts_at"), null().label("ends_at"))


def not_ended(now: Any) -> Any:
    """A membership that has not ended by ``now`` (a cover that starts later included)."""
    return or_(Membership.ends_at.is_(None), Membership.ends_at > now)


def _members(*columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .join(Membership, Membership.staff_id == Staff.id)
        .where(Membership.tenant_id == bindparam("branch_id"), not_ended(bindparam("now")))
    )


# Built once, the branch and the moment parameters: each request reuses the statement and its compiled form.
_MEMBERS = _members(*MEMBER_COLUMNS, *WINDOW_COLUMNS)
_MEMBERS_WITHOUT_WINDOW = _members(*MEMBER_COLUMNS, *_WINDOW_NOT_READ)
# = ANY(array), not IN (list): one statement whatever the number of ids (an IN list is rendered per length).
_MEMBERS_BY_ID = _MEMBERS.where(Staff.id == any_(bindparam("ids", type_=ARRAY(Uuid))))


def members_page_query(
    branch_id: uuid.UUID, search: str | None = None, *, window: bool = True
) -> tuple[Select[*tuple[Any, ...]], dict[str, Any]]:
    """Members of the branch whose membership has not ended, and the values of its parameters;
    ``search``: an employee number starting with it, or a name containing it (either case); ``window``:
    with each membership's kind, start and end (``WINDOW_COLUMNS``)."""
    params: dict[str, Any] = {"branch_id": branch_id, "now": utcnow()}
    members = _MEMBERS if window else _MEMBERS_WITHOUT_WINDOW
    if not search:
        return members, params
    literal = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = members.where(
        or_(
            Staff.employee_number.ilike(f"{literal}%", escape="\\"),
            Staff.display_name.ilike(f"%{literal}%", escape="\\"),
        )
    )
    return stmt, params


async def members_by_ids(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> Sequence[Row[Any]]:
    return await read(session, _MEMBERS_BY_ID, {"branch_id": branch_id, "ids": list(ids), "now": utcnow()})


async def personal_data(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    """Phone, ID number and address of members of the branch, read only when a response shows them."""
    return list(
        await session.execute(
            select(Staff.id, Staff.phone, Staff.id_number, Staff.address)
            .join(Membership, Membership.staff_id == Staff.id)
            .where(Membership.tenant_id == branch_id, Staff.id.in_(ids))
        )
    )


# --- membership lifecycle ------------------------------------------------------------------------


def add_period(session: AsyncSession, membership: Membership, starts_at: datetime, by: str, reason: str | None) -> None:
    session.add(
        MembershipPeriod(
            tenant_id=membership.tenant_id,
            staff_id=membership.staff_id,
            roles=list(membership.roles),
            kind=membership.kind,
            starts_at=starts_at,
            ends_at=membership.ends_at,
            started_by=by,
            start_reason=reason,
        )
    )


async def end_periods(
    session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, at: datetime, by: str, reason: str | None
) -> None:
    """End the staff member's open periods in the branch at ``at`` (one not started yet ends as it starts)."""
    await session.execute(
        update(MembershipPeriod)
        .where(
            MembershipPeriod.tenant_id == branch_id,
            MembershipPeriod.staff_id == staff_id,
            or_(MembershipPeriod.ends_at.is_(None), MembershipPeriod.ends_at > at),
        )
        .values(ends_at=func.greatest(MembershipPeriod.starts_at, at), ended_by=by, end_reason=reason)
    )


async def delete_membership(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID) -> None:
    await session.execute(delete(Membership).where(Membership.tenant_id == branch_id, Membership.staff_id == staff_id))


async def current_holders(session: AsyncSession, branch_id: uuid.UUID, role: str, now: datetime) -> list[uuid.UUID]:
    """Members of the branch holding ``role`` now."""
    return list(
        await session.scalars(
            select(Membership.staff_id).where(
                Membership.tenant_id == branch_id,
                any_(Membership.roles) == role,
                Membership.starts_at <= now,
                not_ended(now),
            )
        )
    )


async def periods(
    session: AsyncSession,
    branch_id: uuid.UUID,
    *,
    staff_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> list[MembershipPeriod]:
    """The branch's membership periods, oldest first: of one member, or those covering a moment."""
    stmt = select(MembershipPeriod).where(MembershipPeriod.tenant_id == branch_id)
    if staff_id is not None:
        stmt = stmt.where(MembershipPeriod.staff_id == staff_id)
    if at is not None:
        stmt = stmt.where(
            MembershipPeriod.starts_at <= at,
            or_(MembershipPeriod.ends_at.is_(None), MembershipPeriod.ends_at > at),
        )
    return list(await session.scalars(stmt.order_by(MembershipPeriod.starts_at, MembershipPeriod.id)))


async def branches_of_staff(platform_session: AsyncSession, staff_id: uuid.UUID) -> list[Row[Any]]:
    """Cross-branch (platform scope): each branch the staff member has a membership row in."""
    return list(
        await platform_session.execute(
            select(Branch, Membership.roles, Membership.kind, Membership.starts_at, Membership.ends_at)
            .join(Membership, Membership.tenant_id == Branch.id)
            .where(Membership.staff_id == staff_id)
            .order_by(Branch.code)
        )
    )
