"""All SQL of access control."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Select, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.clock import utcnow
from branchdesk.rbac.models import BaselineChange, BaselineGrant, PolicyChange, PolicyOverride, ToxicPair
from branchdesk.tenants.models import Branch, Membership


async def baseline(session: AsyncSession) -> dict[str, set[str]]:
    roles: dict[str, set[str]] = defaultdict(set)
    for role, permission in await session.execute(select(BaselineGrant.role, BaselineGrant.permission)):
        roles[role].add(permission)
    return dict(roles)


async def lock_baseline(session: AsyncSession) -> None:
    await session.execute(text("select pg_advisory_xact_lock(hashtext('branchdesk:baseline'))"))


async def permissions_in_baseline_history(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(BaselineChange.permission).distinct()))


async def set_baseline(session: AsyncSession, role: str, permission: str, granted: bool) -> None:
    if granted:
        session.add(BaselineGrant(role=role, permission=permission))
    else:
        await session.execute(
            delete(BaselineGrant).where(BaselineGrant.role == role, BaselineGrant.permission == permission)
        )
    await session.flush()


async def overrides(session: AsyncSession, branch_id: uuid.UUID) -> list[PolicyOverride]:
    return list(await session.scalars(select(PolicyOverride).where(PolicyOverride.tenant_id == branch_id)))


async def override(session: AsyncSession, branch_id: uuid.UUID, role: str, permission: str) -> PolicyOverride | None:
    return await session.scalar(
        select(PolicyOverride).where(
            PolicyOverride.tenant_id == branch_id, PolicyOverride.role == role, PolicyOverride.permission == permission
        )
    )


# A member's roles and when their membership counts: (staff id, roles, starts at, ends at or None).
Window = tuple[uuid.UUID, list[str], datetime, datetime | None]


async def membership_windows(session: AsyncSession, branch_id: uuid.UUID) -> list[Window]:
    rows = await session.execute(
        select(Membership.staff_id, Membership.roles, Membership.starts_at, Membership.ends_at).where(
            Membership.tenant_id == branch_id
        )
    )
    return [(staff_id, list(roles), starts, ends) for staff_id, roles, starts, ends in rows]


def current(windows: list[Window], now: datetime) -> list[tuple[uuid.UUID, list[str]]]:
    """The role assignments that count at ``now``: a cover before its start or after its end does not."""
    return [
        (staff_id, roles) for staff_id, roles, starts, ends in windows if starts <= now and (ends is None or now < ends)
    ]


def next_boundary(windows: list[Window], now: datetime) -> datetime | None:
    """When the next membership starts or ends by itself (the policy loaded now is stale from then)."""
    upcoming = [t for _, _, starts, ends in windows for t in (starts, ends) if t is not None and t > now]
    return min(upcoming, default=None)


async def assignments(session: AsyncSession, branch_id: uuid.UUID) -> list[tuple[uuid.UUID, list[str]]]:
    """The branch's role assignments that count now."""
    return current(await membership_windows(session, branch_id), utcnow())


async def changes(session: AsyncSession, branch_id: uuid.UUID, *, until: datetime | None = None) -> list[PolicyChange]:
    stmt = select(PolicyChange).where(PolicyChange.tenant_id == branch_id)
    if until is not None:
        stmt = stmt.where(PolicyChange.changed_at <= until)
    return list(await session.scalars(stmt.order_by(PolicyChange.changed_at, PolicyChange.id)))


async def baseline_changes(session: AsyncSession, *, until: datetime | None = None) -> list[BaselineChange]:
    stmt = select(BaselineChange)
    if until is not None:
        stmt = stmt.where(BaselineChange.changed_at <= until)
    return list(await session.scalars(stmt.order_by(BaselineChange.changed_at, BaselineChange.id)))


async def toxic_pairs(session: AsyncSession) -> list[ToxicPair]:
    return list(await session.scalars(select(ToxicPair).order_by(ToxicPair.name)))


async def all_overrides(platform_session: AsyncSession) -> list[tuple[Branch, list[PolicyOverride]]]:
    """Cross-branch (platform scope): each branch with its overrides, branches without any included."""
    branches = list(await platform_session.scalars(select(Branch).order_by(Branch.code)))
    by_branch: dict[uuid.UUID, list[PolicyOverride]] = defaultdict(list)
    for override in await platform_session.scalars(
        select(PolicyOverride).order_by(PolicyOverride.role, PolicyOverride.permission)
    ):
        by_branch[override.tenant_id].append(override)
    return [(branch, by_branch.get(branch.id, [])) for branch in branches]


def changes_query(branch_id: uuid.UUID) -> Select[PolicyChange]:
    return select(PolicyChange).where(PolicyChange.tenant_id == branch_id)


async def changes_by_ids(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[PolicyChange]:
    if not ids:
        return []
    return list(
        await session.scalars(select(PolicyChange).where(PolicyChange.tenant_id == branch_id, PolicyChange.id.in_(ids)))
    )
