"""All SQL of branch meetings; every statement filters by ``tenant_id`` (row-level security does too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.meetings.models import Meeting, MeetingAttendee


def meetings_query(branch_id: uuid.UUID) -> Select[Any]:
    return select(Meeting).where(Meeting.tenant_id == branch_id)


async def meetings_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Meeting]:
    if not ids:
        return []
    return list(await session.scalars(meetings_query(branch_id).where(Meeting.id.in_(ids))))


async def add_attendees(
    session: AsyncSession, branch_id: uuid.UUID, meeting_id: uuid.UUID, staff_ids: Sequence[uuid.UUID]
) -> None:
    if not staff_ids:
        return
    rows = [{"tenant_id": branch_id, "id": uuid.uuid4(), "meeting_id": meeting_id, "staff_id": s} for s in staff_ids]
    stmt = pg_insert(MeetingAttendee).values(rows)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["tenant_id", "meeting_id", "staff_id"]))


async def attendees_of(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[MeetingAttendee]:
    if not ids:
        return []
    stmt = (
        select(MeetingAttendee)
        .where(MeetingAttendee.tenant_id == branch_id, MeetingAttendee.meeting_id.in_(ids))
        .order_by(MeetingAttendee.meeting_id, MeetingAttendee.id)
    )
    return list(await session.scalars(stmt))
