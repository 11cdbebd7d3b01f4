"""All SQL of handoffs and comments. Every statement on branch-owned rows filters by ``tenant_id``
(row-level security does too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, any_, false, func, literal, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.availability.models import StaffAbsence
from branchdesk.handoffs.models import Comment, Handoff, HandoffEscalation, HandoffType
from branchdesk.handoffs.rules import OPEN
from branchdesk.tenants.models import Membership, MembershipKind, Staff, StaffStatus

OPEN_VALUES = [s.value for s in OPEN]


@dataclass(frozen=True)
class Viewer:
    """Whose handoffs a reader sees: the whole branch, or what they raised, what is assigned to them and
    the queues of ``roles`` (a regular member's roles; a cover from another branch has none here)."""

    staff_id: uuid.UUID | None
    everything: bool = False
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    assignee_id: uuid.UUID | None = None
    raised_by: uuid.UUID | None = None
    roles: tuple[str, ...] | None = None  # the role queues
    state: str | None = None
    type_id: uuid.UUID | None = None
    overdue_at: datetime | None = None  # open and past due at this instant
    client_id: uuid.UUID | None = None
    origin: tuple[str, uuid.UUID] | None = None
    open_only: bool = False
    ids: list[uuid.UUID] = field(default_factory=list)


# --- head office: handoff types ------------------------------------------------------------------


async def types(session: AsyncSession) -> list[HandoffType]:
    return list(await session.scalars(select(HandoffType).where(HandoffType.active).order_by(HandoffType.code)))


async def types_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[HandoffType]:
    if not ids:
        return []
    return list(await session.scalars(select(HandoffType).where(HandoffType.id.in_(ids))))


async def type_by_code(session: AsyncSession, code: str) -> HandoffType | None:
    found: HandoffType | None = await session.scalar(
        select(HandoffType).where(HandoffType.code == code, HandoffType.active)
    )
    return found


# --- who is there to take it ---------------------------------------------------------------------


async def member_roles(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, now: datetime) -> list[str]:
    """A regular, current member's roles (a cover from another branch: none, it sees no role queue)."""
    found = await session.scalar(
        select(Membership.roles).where(
            Membership.tenant_id == branch_id,
            Membership.staff_id == staff_id,
            Membership.kind == MembershipKind.REGULAR,
            Membership.starts_at <= now,
            or_(Membership.ends_at.is_(None), Membership.ends_at > now),
        )
    )
    return list(found or [])


def _on_duty(branch_id: uuid.UUID, now: datetime) -> Any:
    away = (
        select(StaffAbsence.id)
        .where(
            StaffAbsence.tenant_id == branch_id,
            StaffAbsence.staff_id == Membership.staff_id,
            StaffAbsence.starts_at <= now,
            StaffAbsence.ends_at > now,
        )
        .exists()
    )
    return and_(
        Membership.tenant_id == branch_id,
        Membership.starts_at <= now,
        or_(Membership.ends_at.is_(None), Membership.ends_at > now),
        Staff.status == StaffStatus.ACTIVE,
        ~away,
    )


async def least_loaded(session: AsyncSession, branch_id: uuid.UUID, role: str, now: datetime) -> uuid.UUID | None:
    """The regular member holding ``role``, on duty at ``now`` (not away), with the fewest open handoffs
    assigned (ties by id): one statement."""
    load = (
        select(func.count())
        .select_from(Handoff)
        .where(
            Handoff.tenant_id == branch_id,
            Handoff.assignee_id == Membership.staff_id,
            Handoff.state.in_(OPEN_VALUES),
        )
        .scalar_subquery()
    )
    stmt = (
        select(Membership.staff_id)
        .join(Staff, Staff.id == Membership.staff_id)
        .where(
            _on_duty(branch_id, now), Membership.kind == MembershipKind.REGULAR, literal(role) == any_(Membership.roles)
        )
        .order_by(load, Membership.staff_id)
        .limit(1)
    )
    found: uuid.UUID | None = await session.scalar(stmt)
    return found


async def on_duty(session: AsyncSession, branch_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """Every member of the branch on duty at ``now`` (current membership, active, not away)."""
    stmt = (
        select(Membership.staff_id)
        .join(Staff, Staff.id == Membership.staff_id)
        .where(_on_duty(branch_id, now))
        .order_by(Membership.staff_id)
    )
    return list(await session.scalars(stmt))


async def members_by_number(
    session: AsyncSession, branch_id: uuid.UUID, numbers: Sequence[str], now: datetime
) -> dict[str, uuid.UUID]:
    """Employee number → staff id, of current members of the branch among ``numbers``."""
    if not numbers:
        return {}
    stmt = (
        select(Staff.employee_number, Staff.id)
        .join(Membership, Membership.staff_id == Staff.id)
        .where(
            Membership.tenant_id == branch_id,
            Membership.starts_at <= now,
            or_(Membership.ends_at.is_(None), Membership.ends_at > now),
            func.upper(Staff.employee_number).in_([n.upper() for n in numbers]),
        )
    )
    return {number.upper(): staff_id for number, staff_id in await session.execute(stmt)}


# --- a branch's handoffs -------------------------------------------------------------------------


def visible(viewer: Viewer) -> Any:
    if viewer.everything:
        return true()
    if viewer.staff_id is None:
        return false()
    mine = or_(Handoff.raised_by == viewer.staff_id, Handoff.assignee_id == viewer.staff_id)
    return or_(mine, Handoff.target_role.in_(viewer.roles)) if viewer.roles else mine


def handoffs_query(branch_id: uuid.UUID, viewer: Viewer, filters: Filters) -> Select[Any]:
    stmt = select(Handoff).where(Handoff.tenant_id == branch_id, visible(viewer))
    if filters.assignee_id is not None:
        stmt = stmt.where(Handoff.assignee_id == filters.assignee_id)
    if filters.raised_by is not None:
        stmt = stmt.where(Handoff.raised_by == filters.raised_by)
    if filters.roles is not None:
        stmt = stmt.where(Handoff.target_role.in_(filters.roles) if filters.roles else false())
    if filters.state is not None:
        stmt = stmt.where(Handoff.state == filters.state)
    if filters.type_id is not None:
        stmt = stmt.where(Handoff.type_id == filters.type_id)
    if filters.overdue_at is not None:
        stmt = stmt.where(Handoff.state.in_(OPEN_VALUES), Handoff.due_at < filters.overdue_at)
    if filters.client_id is not None:
        stmt = stmt.where(Handoff.client_id == filters.client_id)
    if filters.origin is not None:
        stmt = stmt.where(Handoff.origin_type == filters.origin[0], Handoff.origin_id == filters.origin[1])
    if filters.open_only:
        stmt = stmt.where(Handoff.state.in_(OPEN_VALUES))
    if filters.ids:
        stmt = stmt.where(Handoff.id.in_(filters.ids))
    return stmt


async def handoffs_by_id(
    session: AsyncSession, branch_id: uuid.UUID, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[Handoff]:
    if not ids:
        return []
    return list(await session.scalars(handoffs_query(branch_id, viewer, Filters(ids=list(ids)))))


async def handoff_for_update(session: AsyncSession, branch_id: uuid.UUID, handoff_id: uuid.UUID) -> Handoff | None:
    stmt = select(Handoff).where(Handoff.tenant_id == branch_id, Handoff.id == handoff_id).with_for_update()
    found: Handoff | None = await session.scalar(stmt)
    return found


async def handoffs_of_clients(
    session: AsyncSession, branch_id: uuid.UUID, viewer: Viewer, client_ids: Sequence[uuid.UUID]
) -> list[Handoff]:
    if not client_ids:
        return []
    stmt = (
        select(Handoff)
        .where(Handoff.tenant_id == branch_id, Handoff.client_id.in_(client_ids), visible(viewer))
        .order_by(Handoff.client_id, Handoff.created_at.desc(), Handoff.id.desc())
    )
    return list(await session.scalars(stmt))


async def handoffs_of_origins(
    session: AsyncSession, branch_id: uuid.UUID, viewer: Viewer, origin_type: str, origin_ids: Sequence[uuid.UUID]
) -> list[Handoff]:
    if not origin_ids:
        return []
    stmt = (
        select(Handoff)
        .where(
            Handoff.tenant_id == branch_id,
            Handoff.origin_type == origin_type,
            Handoff.origin_id.in_(origin_ids),
            visible(viewer),
        )
        .order_by(Handoff.origin_id, Handoff.created_at, Handoff.id)
    )
    return list(await session.scalars(stmt))


async def open_counts(
    session: AsyncSession, branch_id: uuid.UUID, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Open handoffs per client (a routing card's count: no detail, so not filtered by viewer)."""
    if not client_ids:
        return {}
    stmt = (
        select(Handoff.client_id, func.count())
        .where(Handoff.tenant_id == branch_id, Handoff.client_id.in_(client_ids), Handoff.state.in_(OPEN_VALUES))
        .group_by(Handoff.client_id)
    )
    return {client_id: int(n) for client_id, n in await session.execute(stmt) if client_id is not None}


# --- the SLA watch -------------------------------------------------------------------------------


async def escalate_overdue(session: AsyncSession, branch_id: uuid.UUID, now: datetime) -> list[Any]:
    """Record an escalation for every open handoff past due and not escalated before, in one statement;
    one recorded by a concurrent watch is skipped. Returns (handoff id, due at) of those recorded now."""
    source = select(
        Handoff.tenant_id, func.gen_random_uuid(), Handoff.id, Handoff.due_at, literal(now, Handoff.due_at.type)
    ).where(Handoff.tenant_id == branch_id, Handoff.state.in_(OPEN_VALUES), Handoff.due_at < now)
    stmt = (
        pg_insert(HandoffEscalation)
        .from_select(["tenant_id", "id", "handoff_id", "due_at", "escalated_at"], source)
        .on_conflict_do_nothing(index_elements=["tenant_id", "handoff_id"])
        .returning(HandoffEscalation.handoff_id, HandoffEscalation.due_at)
    )
    return list((await session.execute(stmt, execution_options={"synchronize_session": False})).all())


async def expire_past(session: AsyncSession, branch_id: uuid.UUID, now: datetime) -> list[Any]:
    """Expire every open handoff past its hard limit, in one statement: (id, assignee, raised by)."""
    stmt = (
        update(Handoff)
        .where(
            Handoff.tenant_id == branch_id,
            Handoff.state.in_(OPEN_VALUES),
            Handoff.expires_at.is_not(None),
            Handoff.expires_at < now,
        )
        .values(state="expired", finished_at=now, updated_at=now)
        .returning(Handoff.id, Handoff.assignee_id, Handoff.raised_by)
    )
    return list((await session.execute(stmt, execution_options={"synchronize_session": False})).all())


async def escalations(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[HandoffEscalation]:
    if not ids:
        return []
    stmt = select(HandoffEscalation).where(
        HandoffEscalation.tenant_id == branch_id, HandoffEscalation.handoff_id.in_(ids)
    )
    return list(await session.scalars(stmt))


# --- comments ------------------------------------------------------------------------------------


def comments_query(branch_id: uuid.UUID, subject_type: str, subject_id: uuid.UUID) -> Select[Any]:
    return select(Comment).where(
        Comment.tenant_id == branch_id, Comment.subject_type == subject_type, Comment.subject_id == subject_id
    )


async def comments_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Comment]:
    if not ids:
        return []
    return list(await session.scalars(select(Comment).where(Comment.tenant_id == branch_id, Comment.id.in_(ids))))


async def open_assigned_to(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID) -> list[Handoff]:
    """The open handoffs assigned to ``staff_id``, locked to be routed again."""
    stmt = (
        select(Handoff)
        .where(Handoff.tenant_id == branch_id, Handoff.assignee_id == staff_id, Handoff.state.in_(OPEN_VALUES))
        .order_by(Handoff.id)
        .with_for_update()
    )
    return list(await session.scalars(stmt))
