"""All SQL of the tenants domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.clock import utcnow
from branchdesk.tenants.models import Branch, BranchLevel, BranchStatus, Membership, RefreshToken, Staff


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
                Staff.id, Staff.employee_number, Staff.display_name, Staff.email, Staff.status, Membership.roles, Branch
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


# Hot reads: the columns a staff list shows, as light rows (never a password hash or personal data).
MEMBER_COLUMNS = (Staff.id, Staff.employee_number, Staff.display_name, Staff.email, Membership.roles)
# Built once, the branch a parameter: each request reuses the statement and its compiled form.
_MEMBERS = (
    select(*MEMBER_COLUMNS)
    .join(Membership, Membership.staff_id == Staff.id)
    .where(Membership.tenant_id == bindparam("branch_id"))
)
_MEMBERS_BY_ID = _MEMBERS.where(Staff.id.in_(bindparam("ids", expanding=True)))


def members_page_query(
    branch_id: uuid.UUID, search: str | None = None
) -> tuple[Select[uuid.UUID, str, str, str | None, list[str]], dict[str, Any]]:
    """Members of the branch, and the values of its parameters; ``search``: an employee number starting
    with it, or a name containing it (either case)."""
    params: dict[str, Any] = {"branch_id": branch_id}
    if not search:
        return _MEMBERS, params
    literal = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = _MEMBERS.where(
        or_(
            Staff.employee_number.ilike(f"{literal}%", escape="\\"),
            Staff.display_name.ilike(f"%{literal}%", escape="\\"),
        )
    )
    return stmt, params


async def members_by_ids(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    return list(await session.execute(_MEMBERS_BY_ID, {"branch_id": branch_id, "ids": list(ids)}))


async def personal_data(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    """Phone, ID number and address of members of the branch, read only when a response shows them."""
    return list(
        await session.execute(
            select(Staff.id, Staff.phone, Staff.id_number, Staff.address)
            .join(Membership, Membership.staff_id == Staff.id)
            .where(Membership.tenant_id == branch_id, Staff.id.in_(ids))
        )
    )
