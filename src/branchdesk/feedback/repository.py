"""All SQL of client feedback and complaints. Every statement on branch-owned rows filters by
``tenant_id`` (row-level security does too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, false, literal, or_, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.feedback.models import (
    DEFAULT_CATEGORY,
    ComplaintEscalation,
    ComplaintSla,
    ComplaintTransition,
    Feedback,
    FeedbackCategory,
)
from branchdesk.feedback.rules import AWAITING_ACKNOWLEDGEMENT, OPEN, Breach


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    state: str | None = None
    category_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    breached_at: datetime | None = None  # only complaints past a deadline they still owe at this instant
    not_breached_at: datetime | None = None


# --- head office: categories and SLAs ------------------------------------------------------------


async def categories(session: AsyncSession, *, active_only: bool = True) -> list[FeedbackCategory]:
    stmt = select(FeedbackCategory).order_by(FeedbackCategory.code)
    if active_only:
        stmt = stmt.where(FeedbackCategory.active)
    return list(await session.scalars(stmt))


async def categories_by_id(session: AsyncSession, ids: list[uuid.UUID]) -> list[FeedbackCategory]:
    if not ids:
        return []
    return list(await session.scalars(select(FeedbackCategory).where(FeedbackCategory.id.in_(ids))))


async def category_by_code(session: AsyncSession, code: str) -> FeedbackCategory | None:
    found: FeedbackCategory | None = await session.scalar(
        select(FeedbackCategory).where(FeedbackCategory.code == code, FeedbackCategory.active)
    )
    return found


async def sla_for(session: AsyncSession, category_code: str, severity: str) -> ComplaintSla | None:
    """The category's own SLA for the severity, else the default (``*``) one."""
    stmt = (
        select(ComplaintSla)
        .where(ComplaintSla.severity == severity, ComplaintSla.category_code.in_([category_code, DEFAULT_CATEGORY]))
        .order_by(case((ComplaintSla.category_code == DEFAULT_CATEGORY, 1), else_=0))
        .limit(1)
    )
    found: ComplaintSla | None = await session.scalar(stmt)
    return found


async def slas(session: AsyncSession) -> list[ComplaintSla]:
    return list(await session.scalars(select(ComplaintSla).order_by(ComplaintSla.category_code, ComplaintSla.severity)))


async def upsert_sla(
    session: AsyncSession, category_code: str, severity: str, acknowledge_hours: int, resolve_days: int, at: datetime
) -> ComplaintSla:
    stmt = (
        pg_insert(ComplaintSla)
        .values(
            id=uuid.uuid4(),
            category_code=category_code,
            severity=severity,
            acknowledge_hours=acknowledge_hours,
            resolve_days=resolve_days,
            created_at=at,
        )
        .on_conflict_do_update(
            index_elements=[ComplaintSla.category_code, ComplaintSla.severity],
            set_={"acknowledge_hours": acknowledge_hours, "resolve_days": resolve_days, "updated_at": at},
        )
        .returning(ComplaintSla)
    )
    row: ComplaintSla = (await session.scalars(stmt, execution_options={"populate_existing": True})).one()
    return row


# --- a branch's feedback -------------------------------------------------------------------------


def feedback_query(branch_id: uuid.UUID, filters: Filters) -> Select[Any]:
    stmt = select(Feedback).where(Feedback.tenant_id == branch_id)
    if filters.kind is not None:
        stmt = stmt.where(Feedback.kind == filters.kind)
    if filters.state is not None:
        stmt = stmt.where(Feedback.state == filters.state)
    if filters.category_id is not None:
        stmt = stmt.where(Feedback.category_id == filters.category_id)
    if filters.assignee_id is not None:
        stmt = stmt.where(Feedback.assignee_id == filters.assignee_id)
    if filters.client_id is not None:
        stmt = stmt.where(Feedback.client_id == filters.client_id)
    if filters.breached_at is not None:
        stmt = stmt.where(breached(filters.breached_at))
    if filters.not_breached_at is not None:
        stmt = stmt.where(~breached(filters.not_breached_at))
    return stmt


def breached(now: datetime) -> Any:
    """A complaint past a deadline it still owes: not acknowledged in time, or not resolved in time."""
    late_ack = and_(Feedback.state.in_(list(AWAITING_ACKNOWLEDGEMENT)), Feedback.acknowledge_due_at < now)
    late_resolve = and_(Feedback.state.in_(list(OPEN)), Feedback.resolve_due_at < now)
    return and_(Feedback.state.is_not(None), or_(late_ack, late_resolve, false()))


async def feedback_by_id(
    session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID], submitted_by: uuid.UUID | None = None
) -> list[Feedback]:
    """By id; with ``submitted_by``, only what that staff member recorded."""
    if not ids:
        return []
    stmt = select(Feedback).where(Feedback.tenant_id == branch_id, Feedback.id.in_(ids))
    if submitted_by is not None:
        stmt = stmt.where(Feedback.submitted_by == submitted_by)
    return list(await session.scalars(stmt))


async def feedback_for_update(session: AsyncSession, branch_id: uuid.UUID, feedback_id: uuid.UUID) -> Feedback | None:
    stmt = select(Feedback).where(Feedback.tenant_id == branch_id, Feedback.id == feedback_id).with_for_update()
    found: Feedback | None = await session.scalar(stmt)
    return found


async def feedback_of_clients(
    session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID]
) -> list[Feedback]:
    if not client_ids:
        return []
    stmt = (
        select(Feedback)
        .where(Feedback.tenant_id == branch_id, Feedback.client_id.in_(client_ids))
        .order_by(Feedback.client_id, Feedback.received_at.desc(), Feedback.id.desc())
    )
    return list(await session.scalars(stmt))


async def transitions(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[ComplaintTransition]:
    if not ids:
        return []
    stmt = (
        select(ComplaintTransition)
        .where(ComplaintTransition.tenant_id == branch_id, ComplaintTransition.feedback_id.in_(ids))
        .order_by(ComplaintTransition.feedback_id, ComplaintTransition.at, ComplaintTransition.id)
    )
    return list(await session.scalars(stmt))


async def escalations(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[ComplaintEscalation]:
    if not ids:
        return []
    stmt = (
        select(ComplaintEscalation)
        .where(ComplaintEscalation.tenant_id == branch_id, ComplaintEscalation.feedback_id.in_(ids))
        .order_by(ComplaintEscalation.feedback_id, ComplaintEscalation.escalated_at, ComplaintEscalation.id)
    )
    return list(await session.scalars(stmt))


async def breaches_not_escalated(session: AsyncSession, branch_id: uuid.UUID, now: datetime) -> list[Any]:
    """(feedback id, breach, due at) of every breach of the branch at ``now`` not escalated yet: one
    statement on the two deadline indexes."""
    late_ack = select(
        Feedback.id, literal(Breach.ACKNOWLEDGE.value).label("breach"), Feedback.acknowledge_due_at.label("due_at")
    ).where(
        Feedback.tenant_id == branch_id,
        Feedback.state.in_(list(AWAITING_ACKNOWLEDGEMENT)),
        Feedback.acknowledge_due_at < now,
    )
    late_resolve = select(
        Feedback.id, literal(Breach.RESOLVE.value).label("breach"), Feedback.resolve_due_at.label("due_at")
    ).where(Feedback.tenant_id == branch_id, Feedback.state.in_(list(OPEN)), Feedback.resolve_due_at < now)
    found = union_all(late_ack, late_resolve).subquery("found")
    known = (
        select(ComplaintEscalation.id)
        .where(
            ComplaintEscalation.tenant_id == branch_id,
            ComplaintEscalation.feedback_id == found.c.id,
            ComplaintEscalation.breach == found.c.breach,
        )
        .exists()
    )
    stmt = select(found.c.id, found.c.breach, found.c.due_at).where(~known).order_by(found.c.due_at, found.c.id)
    return list((await session.execute(stmt)).all())


async def record_escalations(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert escalations; one already recorded for its complaint and breach (a concurrent watch) is
    skipped. Returns (id, feedback_id, breach, due_at) of those inserted by this statement."""
    if not rows:
        return []
    stmt = (
        pg_insert(ComplaintEscalation)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["tenant_id", "feedback_id", "breach"])
        .returning(
            ComplaintEscalation.id,
            ComplaintEscalation.feedback_id,
            ComplaintEscalation.breach,
            ComplaintEscalation.due_at,
        )
    )
    return list((await session.execute(stmt)).all())


async def escalation_for_update(
    session: AsyncSession, branch_id: uuid.UUID, escalation_id: uuid.UUID
) -> ComplaintEscalation | None:
    stmt = (
        select(ComplaintEscalation)
        .where(ComplaintEscalation.tenant_id == branch_id, ComplaintEscalation.id == escalation_id)
        .with_for_update()
    )
    found: ComplaintEscalation | None = await session.scalar(stmt)
    return found
