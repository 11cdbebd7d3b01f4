"""All SQL of the HR import: the current state it compares a file with, read in three statements
whatever the file's length (arrays as single parameters, not one placeholder per row)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Row, String, Uuid, any_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.tenants.models import Branch, Membership, Staff


async def branches_by_codes(session: AsyncSession, codes: Sequence[str]) -> list[Branch]:
    wanted = bindparam("codes", list(codes), type_=ARRAY(String))
    return list(await session.scalars(select(Branch).where(Branch.code == any_(wanted))))


async def staff_by_numbers(session: AsyncSession, numbers: Sequence[str]) -> list[Row[Any]]:
    """Identities by employee number: the columns the import compares, no password hash."""
    wanted = bindparam("numbers", list(numbers), type_=ARRAY(String))
    return list(
        await session.execute(
            select(Staff.id, Staff.employee_number, Staff.status).where(Staff.employee_number == any_(wanted))
        )
    )


async def placements(
    platform_session: AsyncSession, branch_ids: Sequence[uuid.UUID], staff_ids: Sequence[uuid.UUID], now: datetime
) -> list[Row[Any]]:
    """Cross-branch (platform scope), one statement: every membership that has not ended of anyone who
    is a member of one of ``branch_ids`` or is one of ``staff_ids``, wherever it is, with who and where."""
    branches = bindparam("branch_ids", list(branch_ids), type_=ARRAY(Uuid))
    people = bindparam("staff_ids", list(staff_ids), type_=ARRAY(Uuid))
    members_there = select(Membership.staff_id).where(Membership.tenant_id == any_(branches))
    return list(
        await platform_session.execute(
            select(
                Membership.tenant_id,
                Membership.staff_id,
                Membership.roles,
                Membership.kind,
                Membership.starts_at,
                Membership.ends_at,
                Staff.employee_number,
                Staff.status,
                Branch.code,
            )
            .join(Staff, Staff.id == Membership.staff_id)
            .join(Branch, Branch.id == Membership.tenant_id)
            .where(
                or_(Membership.staff_id.in_(members_there), Membership.staff_id == any_(people)),
                or_(Membership.ends_at.is_(None), Membership.ends_at > now),
            )
        )
    )
