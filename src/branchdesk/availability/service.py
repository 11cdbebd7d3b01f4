"""Recording absences, and asking who stands in for whom.

A member records their own out-of-office (``availability:record_own``), the branch head anyone's
(``availability:manage``). The cover named must be a member of the branch for the whole absence (a
colleague from another branch covers through a cover membership, see ``staffing``) and not away at its
start. Domains that route work (follow-ups, handoffs) ask :func:`stand_ins` who takes an absent
person's work at a moment; they move the work, this module only knows the calendar.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.availability import errors, repository
from branchdesk.availability.models import StaffAbsence
from branchdesk.availability.permissions import AVAILABILITY_MANAGE, AVAILABILITY_OWN, AVAILABILITY_READ
from branchdesk.platform import audit
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.tenants import service as tenants

MAX_ABSENCE = timedelta(days=366)


async def stand_ins(
    session: AsyncSession, branch_id: uuid.UUID, staff_ids: Sequence[uuid.UUID], at: datetime
) -> dict[uuid.UUID, uuid.UUID | None]:
    """Of ``staff_ids``, those away at ``at`` → who covers them then (None: nobody named). One statement."""
    return {
        absence.staff_id: absence.cover_id for absence in await repository.away_at(session, branch_id, staff_ids, at)
    }


async def absences(
    session: AsyncSession, by: Principal, first: datetime, last: datetime, staff_id: uuid.UUID | None = None
) -> list[StaffAbsence]:
    by.require(AVAILABILITY_READ)
    if staff_id is not None and await tenants.membership(session, by.branch_id, staff_id) is None:
        raise NotFound("staff member", "员工", field="staffId")
    if last - first > MAX_ABSENCE:
        raise DomainError(errors.ABSENCE_ORDER, field="to", limit=MAX_ABSENCE.days)
    if last <= first:
        return []  # an empty window meets no absence
    return await repository.absences(session, by.branch_id, first, last, staff_id)


async def absences_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[StaffAbsence]:
    """Absences by id (``node``, loaders): none without ``availability:read``, never an error."""
    if not by.can(AVAILABILITY_READ):
        return []
    return await repository.absences_by_id(session, by.branch_id, ids)


async def record_absence(
    session: AsyncSession,
    by: Principal,
    staff_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    cover_id: uuid.UUID | None = None,
) -> StaffAbsence:
    """``staff_id`` is away from ``starts_at`` until ``ends_at``; ``cover_id`` takes their work. Someone who is
    not a member of the branch (nor the cover) is not found, before anything else is said."""
    if await tenants.membership(session, by.branch_id, staff_id) is None:
        raise NotFound("staff member", "员工", field="staffId")
    if cover_id is not None and await tenants.membership(session, by.branch_id, cover_id) is None:
        raise NotFound("staff member", "员工", field="coverId")
    by.require(AVAILABILITY_MANAGE if not by.owns(staff_id) else AVAILABILITY_OWN)
    reason = reason.strip()
    problems: list[DomainError] = []
    if not timedelta(0) < ends_at - starts_at <= MAX_ABSENCE:
        problems.append(DomainError(errors.ABSENCE_ORDER, field="endsAt", limit=MAX_ABSENCE.days))
    if not 1 <= len(reason) <= 200:
        problems.append(DomainError(errors.ABSENCE_REASON, field="reason"))
    if problems:
        raise InvalidInput(problems)
    clash = await repository.overlapping(session, by.branch_id, staff_id, starts_at, ends_at)
    if clash is not None:
        raise DomainError(
            errors.ABSENCE_OVERLAP,
            field="startsAt",
            name=str(staff_id),
            starts_at=clash.starts_at.isoformat(),
            ends_at=clash.ends_at.isoformat(),
        )
    if cover_id is not None:
        await _check_cover(session, by.branch_id, staff_id, cover_id, starts_at, ends_at)
    absence = StaffAbsence(
        tenant_id=by.branch_id,
        staff_id=staff_id,
        starts_at=starts_at,
        ends_at=ends_at,
        cover_id=cover_id,
        reason=reason,
        recorded_by=by.staff_id,
    )
    session.add(absence)
    await session.flush()
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "availability.absence_recorded",
        "staff_absence",
        absence.id,
        {
            "staff_id": str(staff_id),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "cover_id": str(cover_id) if cover_id else None,
        },
    )
    return absence


async def cancel_absence(session: AsyncSession, by: Principal, absence_id: uuid.UUID) -> StaffAbsence:
    """Withdraw an absence (the person is back or did not go); work already moved stays where it is."""
    absence = await repository.absence(session, by.branch_id, absence_id, for_update=True)
    if absence is None or not (by.can(AVAILABILITY_MANAGE) or (by.owns(absence.staff_id) and by.can(AVAILABILITY_OWN))):
        raise NotFound("absence", "离岗记录", field="id")
    await repository.delete(session, absence)
    await audit.record(
        session, by.branch_id, by.author, "availability.absence_cancelled", "staff_absence", absence.id, {}
    )
    return absence


async def _check_cover(
    session: AsyncSession,
    branch_id: uuid.UUID,
    staff_id: uuid.UUID,
    cover_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
) -> None:
    membership = await tenants.membership(session, branch_id, cover_id)
    unavailable = (
        cover_id == staff_id
        or membership is None
        or membership.starts_at > starts_at
        or (membership.ends_at is not None and membership.ends_at < ends_at)
        or bool(await repository.away_at(session, branch_id, [cover_id], starts_at))
    )
    if unavailable:
        raise DomainError(errors.COVER_NOT_AVAILABLE, field="coverId")
