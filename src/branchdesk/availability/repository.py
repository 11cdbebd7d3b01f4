"""All SQL of staff availability."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.availability.models import StaffAbsence


async def away_at(
    session: AsyncSession, branch_id: uuid.UUID, staff_ids: Sequence[uuid.UUID], at: datetime
) -> list[StaffAbsence]:
    """The absences of ``staff_ids`` under way at ``at``."""
    if not staff_ids:
        return []
    stmt = select(StaffAbsence).where(
        StaffAbsence.tenant_id == branch_id,
        StaffAbsence.staff_id.in_(staff_ids),
        StaffAbsence.starts_at <= at,
        StaffAbsence.ends_at > at,
    )
    return list(await session.scalars(stmt))


async def overlapping(
    session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, starts_at: datetime, ends_at: datetime
) -> StaffAbsence | None:
    stmt = select(StaffAbsence).where(
        StaffAbsence.tenant_id == branch_id,
        StaffAbsence.staff_id == staff_id,
        StaffAbsence.starts_at < ends_at,
        StaffAbsence.ends_at > starts_at,
    )
    return await session.scalar(stmt.limit(1))


async def absences(
    session: AsyncSession, branch_id: uuid.UUID, first: datetime, last: datetime, staff_id: uuid.UUID | None = None
) -> list[StaffAbsence]:
    """Absences meeting [first, last), by start."""
    stmt = select(StaffAbsence).where(
        StaffAbsence.tenant_id == branch_id, StaffAbsence.starts_at < last, StaffAbsence.ends_at > first
    )
    if staff_id is not None:
        stmt = stmt.where(StaffAbsence.staff_id == staff_id)
    return list(await session.scalars(stmt.order_by(StaffAbsence.starts_at, StaffAbsence.id)))


async def absence(
    session: AsyncSession, branch_id: uuid.UUID, absence_id: uuid.UUID, *, for_update: bool = False
) -> StaffAbsence | None:
    stmt = select(StaffAbsence).where(StaffAbsence.tenant_id == branch_id, StaffAbsence.id == absence_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def delete(session: AsyncSession, absence: StaffAbsence) -> None:
    await session.delete(absence)
    await session.flush()


async def absences_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[StaffAbsence]:
    if not ids:
        return []
    stmt = select(StaffAbsence).where(StaffAbsence.tenant_id == branch_id, StaffAbsence.id.in_(ids))
    return list(await session.scalars(stmt))
