"""All SQL of the business calendar."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, String, delete, func, literal, select, tuple_, type_coerce, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.calendars.models import BranchClosure, CalendarDay
from branchdesk.platform.clock import utcnow

CLOSED = "closed"


async def calendar_days(
    session: AsyncSession, first: date, last: date, regions: Sequence[str] | None = None
) -> list[CalendarDay]:
    stmt = select(CalendarDay).where(CalendarDay.day.between(first, last))
    if regions is not None:
        stmt = stmt.where(CalendarDay.region.in_(regions))
    return list(await session.scalars(stmt.order_by(CalendarDay.day, CalendarDay.region)))


async def calendar_day(
    session: AsyncSession, region: str, day: date, *, for_update: bool = False
) -> CalendarDay | None:
    stmt = select(CalendarDay).where(CalendarDay.region == region, CalendarDay.day == day)
    return await session.scalar(stmt.with_for_update() if for_update else stmt)


async def calendar_days_at(session: AsyncSession, keys: Sequence[tuple[str, date]]) -> list[CalendarDay]:
    if not keys:
        return []
    return list(await session.scalars(select(CalendarDay).where(tuple_(CalendarDay.region, CalendarDay.day).in_(keys))))


async def upsert_calendar_days(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace entries by (region, day), in one statement."""
    if not rows:
        return
    stmt = insert(CalendarDay).values([{"id": uuid.uuid4(), **row} for row in rows])
    stmt = stmt.on_conflict_do_update(
        index_elements=[CalendarDay.region, CalendarDay.day],
        set_={
            "kind": stmt.excluded.kind,
            "name_zh": stmt.excluded.name_zh,
            "name_en": stmt.excluded.name_en,
            "updated_at": utcnow(),
        },
    )
    await session.execute(stmt)


async def delete_calendar_day(session: AsyncSession, entry: CalendarDay) -> None:
    await session.execute(delete(CalendarDay).where(CalendarDay.id == entry.id))


async def entries_for_branch(
    session: AsyncSession, branch_id: uuid.UUID, regions: Sequence[str], first: date, last: date
) -> list[Row[Any]]:
    """Head-office entries of the regions and the branch's closures meeting the dates, in one statement:
    rows of (kind, region, starts_on, ends_on, name_en, name_zh); a closure's kind is ``closed``."""
    days = select(
        type_coerce(CalendarDay.kind, String).label("kind"),  # a closure's kind is no CalendarDayKind
        CalendarDay.region,
        CalendarDay.day.label("starts_on"),
        CalendarDay.day.label("ends_on"),
        CalendarDay.name_en,
        CalendarDay.name_zh,
    ).where(CalendarDay.region.in_(regions), CalendarDay.day.between(first, last))
    closures = select(
        literal(CLOSED),
        literal(""),
        BranchClosure.starts_on,
        BranchClosure.ends_on,
        BranchClosure.reason,
        BranchClosure.reason,
    ).where(BranchClosure.tenant_id == branch_id, BranchClosure.starts_on <= last, BranchClosure.ends_on >= first)
    return list(await session.execute(union_all(days, closures)))


async def closures(
    session: AsyncSession, branch_id: uuid.UUID, first: date | None = None, last: date | None = None
) -> list[BranchClosure]:
    stmt = select(BranchClosure).where(BranchClosure.tenant_id == branch_id)
    if last is not None:
        stmt = stmt.where(BranchClosure.starts_on <= last)
    if first is not None:
        stmt = stmt.where(BranchClosure.ends_on >= first)
    return list(await session.scalars(stmt.order_by(BranchClosure.starts_on, BranchClosure.id)))


async def closures_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[BranchClosure]:
    if not ids:
        return []
    return list(
        await session.scalars(
            select(BranchClosure).where(BranchClosure.tenant_id == branch_id, BranchClosure.id.in_(ids))
        )
    )


async def closure(
    session: AsyncSession, branch_id: uuid.UUID, closure_id: uuid.UUID, *, for_update: bool = False
) -> BranchClosure | None:
    stmt = select(BranchClosure).where(BranchClosure.tenant_id == branch_id, BranchClosure.id == closure_id)
    return await session.scalar(stmt.with_for_update() if for_update else stmt)


async def lock_closures(session: AsyncSession, branch_id: uuid.UUID) -> None:
    """Serialise closure changes of one branch until the transaction ends (the overlap check holds)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"branch_closures:{branch_id}", 0))))


async def overlapping_closure(
    session: AsyncSession, branch_id: uuid.UUID, starts_on: date, ends_on: date
) -> BranchClosure | None:
    return await session.scalar(
        select(BranchClosure)
        .where(
            BranchClosure.tenant_id == branch_id,
            BranchClosure.starts_on <= ends_on,
            BranchClosure.ends_on >= starts_on,
        )
        .order_by(BranchClosure.starts_on)
        .limit(1)
    )


async def delete_closure(session: AsyncSession, closure: BranchClosure) -> None:
    await session.execute(
        delete(BranchClosure).where(BranchClosure.tenant_id == closure.tenant_id, BranchClosure.id == closure.id)
    )
