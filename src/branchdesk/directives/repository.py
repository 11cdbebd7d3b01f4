"""All SQL of directives.

Which branches a directive reaches is a predicate on the directive and the branch (:func:`_reaches`),
so a branch onboarded after an ALL or LEVEL directive still receives it; REGION and LIST directives
carry their branches. Head office's views across branches run on the platform session (it reads every
branch's attestations); everything else runs on the branch's own, under row-level security.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Select, String, and_, any_, cast, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.directives.models import (
    Directive,
    DirectiveAttestation,
    DirectiveDelivery,
    DirectiveQuestion,
    DirectiveTarget,
)
from branchdesk.tenants.models import Branch, BranchLevel, BranchStatus, Membership, Staff, StaffStatus

BRANCH_HEAD = "branch_head"


def _reaches(branch: Any = Branch) -> ColumnElement[bool]:
    return or_(
        and_(Directive.target == DirectiveTarget.ALL, branch.level != BranchLevel.HEAD_OFFICE),
        and_(Directive.target == DirectiveTarget.LEVEL, Directive.target_level == branch.level),
        branch.id == any_(Directive.target_branch_ids),
    )


def _active_member(at: datetime) -> ColumnElement[bool]:
    return and_(
        Membership.starts_at <= at,
        or_(Membership.ends_at.is_(None), Membership.ends_at > at),
        Staff.status == StaffStatus.ACTIVE,
    )


# --- directives ------------------------------------------------------------------------------------


async def region_branches(session: AsyncSession, region_id: uuid.UUID) -> list[uuid.UUID]:
    """The branch and every branch under it (three levels at most below head office)."""
    tree = select(Branch.id).where(Branch.id == region_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Branch.id).join(tree, Branch.parent_id == tree.c.id))
    return list(await session.scalars(select(tree.c.id)))


async def branches_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Branch]:
    return {b.code: b for b in await session.scalars(select(Branch).where(Branch.code.in_(codes)))}


async def directive(session: AsyncSession, directive_id: uuid.UUID, *, for_update: bool = False) -> Directive | None:
    stmt = select(Directive).where(Directive.id == directive_id)
    found: Directive | None = await session.scalar(stmt.with_for_update() if for_update else stmt)
    return found


async def directives_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Directive]:
    return list(await session.scalars(select(Directive).where(Directive.id.in_(ids))))


async def next_versions(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Directive]:
    """The version that superseded each of ``ids`` (those superseded)."""
    found = await session.scalars(select(Directive).where(Directive.supersedes_id.in_(ids)))
    return {d.supersedes_id: d for d in found if d.supersedes_id is not None}


def for_branch_query(
    branch_id: uuid.UUID, staff_id: uuid.UUID | None, current_only: bool, to_attest_as: Sequence[str] | None = None
) -> Select[*tuple[Any, ...]]:
    """The directives reaching the branch, each with the caller's attestation (or nulls); ``to_attest_as``:
    only those naming one of these roles (the caller's) that the caller has not attested."""
    stmt = (
        select(Directive, DirectiveAttestation.attested_at, DirectiveAttestation.late)
        .select_from(Directive)
        .join(Branch, Branch.id == branch_id)
        .outerjoin(
            DirectiveAttestation,
            and_(
                DirectiveAttestation.tenant_id == branch_id,
                DirectiveAttestation.directive_id == Directive.id,
                DirectiveAttestation.staff_id == staff_id,
            ),
        )
        .where(_reaches())
    )
    if to_attest_as is not None:
        stmt = stmt.where(holds_any(to_attest_as), DirectiveAttestation.id.is_(None))
    return stmt.where(Directive.superseded_at.is_(None)) if current_only else stmt


def all_query(current_only: bool) -> Select[*tuple[Any, ...]]:
    """Every directive (head office's list), with no attestation of the caller's."""
    stmt = select(Directive, literal(None).label("attested_at"), literal(None).label("late"))
    return stmt.where(Directive.superseded_at.is_(None)) if current_only else stmt


async def reaching(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Directive]:
    """Those of ``ids`` that reach the branch."""
    stmt = select(Directive).join(Branch, Branch.id == branch_id).where(Directive.id.in_(ids), _reaches())
    return list(await session.scalars(stmt))


async def attestations(
    session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, DirectiveAttestation]:
    stmt = select(DirectiveAttestation).where(
        DirectiveAttestation.tenant_id == branch_id,
        DirectiveAttestation.staff_id == staff_id,
        DirectiveAttestation.directive_id.in_(ids),
    )
    return {a.directive_id: a for a in await session.scalars(stmt)}


async def roles_in(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, at: datetime) -> list[str]:
    stmt = (
        select(Membership.roles)
        .join(Staff, Staff.id == Membership.staff_id)
        .where(Membership.tenant_id == branch_id, Membership.staff_id == staff_id, _active_member(at))
    )
    return list(await session.scalar(stmt) or [])


async def attest(
    session: AsyncSession,
    branch_id: uuid.UUID,
    directive_id: uuid.UUID,
    staff_id: uuid.UUID,
    at: datetime,
    late: bool,
    new_id: uuid.UUID,
) -> DirectiveAttestation:
    """Record the attestation once: a repeat keeps the first (its time and lateness never change)."""
    await session.execute(
        insert(DirectiveAttestation)
        .values(tenant_id=branch_id, id=new_id, directive_id=directive_id, staff_id=staff_id, attested_at=at, late=late)
        .on_conflict_do_nothing(index_elements=["tenant_id", "directive_id", "staff_id"])
    )
    found = await attestations(session, branch_id, staff_id, [directive_id])
    return found[directive_id]


# --- delivery, reminders and escalation (per branch, on its own session) ---------------------------


async def deliver_due(session: AsyncSession, branch_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """Record delivery of every current directive reaching the branch that was not delivered yet: one
    statement; the ids newly delivered."""
    due = (
        select(literal(branch_id), func.gen_random_uuid(), Directive.id, literal(now))
        .select_from(Directive)
        .join(Branch, Branch.id == branch_id)
        .where(_reaches(), Directive.superseded_at.is_(None), Directive.published_at <= now)
    )
    stmt = (
        insert(DirectiveDelivery)
        .from_select(["tenant_id", "id", "directive_id", "delivered_at"], due)
        .on_conflict_do_nothing(index_elements=["tenant_id", "directive_id"])
        .returning(DirectiveDelivery.directive_id)
    )
    return list(await session.scalars(stmt))


async def missing_in_branch(
    session: AsyncSession,
    branch_id: uuid.UUID,
    directive_ids: Sequence[uuid.UUID],
    now: datetime,
    roles: Sequence[str] | None = None,
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Per directive, the branch's members who must attest it (or, with ``roles``, hold one of those
    roles) and have not: one statement."""
    if not directive_ids:
        return {}
    wanted = Directive.roles if roles is None else cast(list(roles), ARRAY(String(50)))
    holds = Membership.roles.op("&&")(wanted)
    stmt = (
        select(Directive.id, Membership.staff_id)
        .join(Membership, and_(Membership.tenant_id == branch_id, holds))
        .join(Staff, Staff.id == Membership.staff_id)
        .outerjoin(
            DirectiveAttestation,
            and_(
                DirectiveAttestation.tenant_id == branch_id,
                DirectiveAttestation.directive_id == Directive.id,
                DirectiveAttestation.staff_id == Membership.staff_id,
            ),
        )
        .where(Directive.id.in_(directive_ids), _active_member(now), DirectiveAttestation.id.is_(None))
        .order_by(Directive.id, Staff.employee_number)
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for directive_id, staff_id in await session.execute(stmt):
        found[directive_id].append(staff_id)
    return dict(found)


async def branch_heads(session: AsyncSession, branch_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    stmt = (
        select(Membership.staff_id)
        .join(Staff, Staff.id == Membership.staff_id)
        .where(Membership.tenant_id == branch_id, literal(BRANCH_HEAD) == any_(Membership.roles), _active_member(now))
    )
    return list(await session.scalars(stmt))


async def take_reminders(
    session: AsyncSession, branch_id: uuid.UUID, now: datetime, ahead: timedelta
) -> list[uuid.UUID]:
    """Mark the deliveries whose deadline is within ``ahead`` and not reminded yet as reminded (once, even
    when two runs race: the row is updated by one of them); their directive ids."""
    stmt = (
        update(DirectiveDelivery)
        .where(
            DirectiveDelivery.tenant_id == branch_id,
            DirectiveDelivery.reminded_at.is_(None),
            DirectiveDelivery.directive_id == Directive.id,
            Directive.superseded_at.is_(None),
            Directive.deadline > now,
            Directive.deadline <= now + ahead,
        )
        .values(reminded_at=now)
        .returning(DirectiveDelivery.directive_id)
        .execution_options(synchronize_session=False)
    )
    return list(await session.scalars(stmt))


async def take_escalations(session: AsyncSession, branch_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """Mark the deliveries past their deadline not escalated yet as escalated (once); their directive ids."""
    stmt = (
        update(DirectiveDelivery)
        .where(
            DirectiveDelivery.tenant_id == branch_id,
            DirectiveDelivery.escalated_at.is_(None),
            DirectiveDelivery.directive_id == Directive.id,
            Directive.superseded_at.is_(None),
            Directive.deadline <= now,
        )
        .values(escalated_at=now)
        .returning(DirectiveDelivery.directive_id)
        .execution_options(synchronize_session=False)
    )
    return list(await session.scalars(stmt))


async def supersede(session: AsyncSession, directive_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        update(Directive)
        .where(Directive.id == directive_id, Directive.superseded_at.is_(None))
        .values(superseded_at=at)
        .execution_options(synchronize_session=False)
    )


# --- head office's views across branches (platform session) ---------------------------------------


def _required(directive_id: uuid.UUID, now: datetime) -> Any:
    """Every (branch, member, role) that must attest the directive: the reached active branches' members
    holding one of its roles."""
    role = func.unnest(Membership.roles).table_valued("role").alias("role")
    return (
        select(
            Branch.id.label("branch_id"),
            Branch.code.label("branch_code"),
            Branch.name.label("branch_name"),
            Membership.staff_id.label("staff_id"),
            role.c.role.label("role"),
        )
        .select_from(Directive)
        .join(Branch, _reaches())
        .join(Membership, Membership.tenant_id == Branch.id)
        .join(Staff, Staff.id == Membership.staff_id)
        .join(role, literal(True))
        .where(
            Directive.id == directive_id,
            Branch.status == BranchStatus.ACTIVE,
            _active_member(now),
            role.c.role == any_(Directive.roles),
        )
        .cte("required")
    )


async def rates(platform: AsyncSession, directive_id: uuid.UUID, now: datetime) -> list[Any]:
    """Per reached branch and required role: members required, attested, of those late — one statement."""
    required = _required(directive_id, now)
    a = DirectiveAttestation
    stmt = (
        select(
            required.c.branch_id,
            required.c.branch_code,
            required.c.branch_name,
            required.c.role,
            func.count().label("required"),
            func.count(a.id).label("attested"),
            func.count(a.id).filter(a.late).label("late"),
        )
        .select_from(required)
        .outerjoin(
            a,
            and_(
                a.tenant_id == required.c.branch_id, a.directive_id == directive_id, a.staff_id == required.c.staff_id
            ),
        )
        .group_by(required.c.branch_id, required.c.branch_code, required.c.branch_name, required.c.role)
        .order_by(required.c.branch_code, required.c.role)
    )
    return list(await platform.execute(stmt))


async def missing(
    platform: AsyncSession, directive_id: uuid.UUID, now: datetime, branch_id: uuid.UUID | None, limit: int
) -> list[Any]:
    """Who must attest and has not: branch, member, their required roles — at most ``limit`` rows."""
    required = _required(directive_id, now)
    a = DirectiveAttestation
    stmt = (
        select(
            required.c.branch_code,
            required.c.branch_name,
            required.c.staff_id,
            Staff.employee_number,
            Staff.display_name,
            func.array_agg(required.c.role).label("roles"),
        )
        .select_from(required)
        .join(Staff, Staff.id == required.c.staff_id)
        .outerjoin(
            a,
            and_(
                a.tenant_id == required.c.branch_id, a.directive_id == directive_id, a.staff_id == required.c.staff_id
            ),
        )
        .where(a.id.is_(None))
        .group_by(
            required.c.branch_code,
            required.c.branch_name,
            required.c.staff_id,
            Staff.employee_number,
            Staff.display_name,
        )
        .order_by(required.c.branch_code, Staff.employee_number)
        .limit(limit)
    )
    if branch_id is not None:
        stmt = stmt.where(required.c.branch_id == branch_id)
    return list(await platform.execute(stmt))


# --- questions ------------------------------------------------------------------------------------


def questions_query(directive_ids: Sequence[uuid.UUID], branch_id: uuid.UUID | None) -> Select[*tuple[Any, ...]]:
    """Questions about the directives with the branch's code; every branch's when ``branch_id`` is None
    (platform session)."""
    stmt = (
        select(DirectiveQuestion, Branch.code)
        .join(Branch, Branch.id == DirectiveQuestion.tenant_id)
        .where(DirectiveQuestion.directive_id.in_(directive_ids))
        .order_by(DirectiveQuestion.asked_at, DirectiveQuestion.id)
    )
    return stmt if branch_id is None else stmt.where(DirectiveQuestion.tenant_id == branch_id)


async def questions(
    session: AsyncSession, directive_ids: Sequence[uuid.UUID], branch_id: uuid.UUID | None
) -> list[Any]:
    return list(await session.execute(questions_query(directive_ids, branch_id)))


async def question_branch(platform: AsyncSession, question_id: uuid.UUID) -> uuid.UUID | None:
    found: uuid.UUID | None = await platform.scalar(
        select(DirectiveQuestion.tenant_id).where(DirectiveQuestion.id == question_id)
    )
    return found


async def question(
    session: AsyncSession, branch_id: uuid.UUID, question_id: uuid.UUID, *, for_update: bool = False
) -> DirectiveQuestion | None:
    stmt = select(DirectiveQuestion).where(
        DirectiveQuestion.tenant_id == branch_id, DirectiveQuestion.id == question_id
    )
    found: DirectiveQuestion | None = await session.scalar(stmt.with_for_update() if for_update else stmt)
    return found


async def reached_branches(session: AsyncSession, directive_id: uuid.UUID) -> list[uuid.UUID]:
    """The active branches the directive reaches (branches are platform rows: any session reads them)."""
    stmt = (
        select(Branch.id)
        .join(Directive, Directive.id == directive_id)
        .where(_reaches(), Branch.status == BranchStatus.ACTIVE)
        .order_by(Branch.code)
    )
    return list(await session.scalars(stmt))


def holds_any(roles: Sequence[str]) -> ColumnElement[bool]:
    """The directive names one of ``roles``."""
    return Directive.roles.op("&&")(cast(list(roles), ARRAY(String(50))))


async def directive_titled(session: AsyncSession, title_en: str) -> Directive | None:
    """The current version of a directive by its English title (the demo publishes its own once)."""
    stmt = select(Directive).where(Directive.title_en == title_en, Directive.superseded_at.is_(None)).limit(1)
    found: Directive | None = await session.scalar(stmt)
    return found
