"""What compliance officers see: the access matrix, effective permissions and why, who can (or
could, on a past date) do something, policy history, separation-of-duties conflicts, baseline drift."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.policy import BranchPolicy, effective_permissions, staff_subject
from branchdesk.access.principal import Principal
from branchdesk.access.registry import PERMISSIONS, ROLES, Scope
from branchdesk.platform import audit
from branchdesk.platform.errors import NotFound
from branchdesk.platform.pagination import Page, PageRequest, keyset
from branchdesk.rbac import repository
from branchdesk.rbac.models import PolicyChange, PolicyOverride, ToxicPair
from branchdesk.rbac.permissions import BASELINE_READ, POLICY_AUDIT
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import Branch


@dataclass(frozen=True)
class Cell:
    role: str
    permission: str
    granted: bool
    source: str  # baseline | grant | revoke


@dataclass(frozen=True)
class Holder:
    staff_id: uuid.UUID
    via: list[str]


@dataclass(frozen=True)
class Conflict:
    staff_id: uuid.UUID
    pair: str
    first_via: list[str]
    second_via: list[str]


def _counts_here(principal: Principal, permission: str) -> bool:
    declared = PERMISSIONS.get(permission)
    return declared is not None and (declared.scope is Scope.BRANCH or principal.in_head_office)


async def access_matrix(session: AsyncSession, by: Principal) -> list[Cell]:
    """Roles × permissions of the caller's branch; ``source`` marks where the branch departs from the baseline."""
    by.require(POLICY_AUDIT)
    baseline = await repository.baseline(session)
    overrides = {(o.role, o.permission): o for o in await repository.overrides(session, by.branch_id)}
    roles = sorted(set(ROLES) | set(baseline) | {role for role, _ in overrides})
    cells = []
    for role in roles:
        for permission in PERMISSIONS:
            override: PolicyOverride | None = overrides.get((role, permission))
            in_baseline = permission in baseline.get(role, set())
            if override is not None:
                cells.append(Cell(role, permission, override.granted, "grant" if override.granted else "revoke"))
            else:
                cells.append(Cell(role, permission, in_baseline, "baseline"))
    return cells


async def _member(session: AsyncSession, by: Principal, staff_id: uuid.UUID) -> None:
    if await tenants.membership(session, by.branch_id, staff_id) is None:
        raise NotFound("Staff member", "员工", field="staffId")


async def effective_permissions_of(session: AsyncSession, by: Principal, staff_id: uuid.UUID) -> dict[str, list[str]]:
    """Each permission a member holds in the caller's branch, and the roles it comes through."""
    if not by.owns(staff_id):  # the caller's own membership was checked on entering the branch
        by.require(POLICY_AUDIT)
        await _member(session, by, staff_id)
    held = by.branch_policy.permissions_of(staff_subject(staff_id))
    return {p: via for p, via in sorted(held.items()) if _counts_here(by, p)}


def _holders(policy: BranchPolicy, members: list[tuple[uuid.UUID, list[str]]], permission: str) -> list[Holder]:
    allowed = [staff_id for staff_id, _roles in members if policy.allows(staff_subject(staff_id), permission)]
    why = policy.explain(staff_subject(staff_id) for staff_id in allowed)
    return [Holder(staff_id, why[staff_subject(staff_id)].get(permission, [])) for staff_id in allowed]


async def who_can(session: AsyncSession, by: Principal, permission: str, at: datetime | None = None) -> list[Holder]:
    """Members of the caller's branch who can do ``permission`` now, or could on date ``at``
    (reconstructed from the baseline and branch policy histories)."""
    by.require(POLICY_AUDIT)
    if not _counts_here(by, permission):
        return []
    if at is None:
        return _holders(by.branch_policy, await repository.assignments(session, by.branch_id), permission)
    policy, members = await policy_at(session, by.branch_id, at)
    await audit.record(
        session, by.branch_id, by.author, "policy.reconstructed", "permission", permission, {"at": at.isoformat()}
    )
    return _holders(policy, members, permission)


async def policy_at(
    session: AsyncSession, branch_id: uuid.UUID, at: datetime
) -> tuple[BranchPolicy, list[tuple[uuid.UUID, list[str]]]]:
    """The branch's policy as it stood at ``at``: replay each history up to then, latest state per key,
    for the members whose membership counted then."""
    baseline: dict[str, set[str]] = {}
    for change in await repository.baseline_changes(session, until=at):
        (
            baseline.setdefault(change.role, set()).add
            if change.granted
            else baseline.setdefault(change.role, set()).discard
        )(change.permission)
    overrides: dict[tuple[str, str], bool | None] = {}
    roles: dict[uuid.UUID, list[str]] = {}
    for entry in await repository.changes(session, branch_id, until=at):
        if entry.kind == "permission" and entry.role and entry.permission:
            source = entry.after.get("source")
            overrides[(entry.role, entry.permission)] = None if source == "baseline" else bool(entry.after["granted"])
        elif entry.kind == "roles" and entry.staff_id:
            roles[entry.staff_id] = list(entry.after.get("roles", []))
    effective = effective_permissions(
        baseline, [(role, perm, granted) for (role, perm), granted in overrides.items() if granted is not None]
    )
    # Who was a member then comes from the membership history (a cover ends by itself, with no change
    # recorded); their roles from the policy history, which also holds changes made before it was kept.
    present = {p.staff_id: list(p.roles) for p in await tenants.membership_periods(session, branch_id, at=at)}
    members = [(staff_id, roles.get(staff_id) or r) for staff_id, r in present.items()]
    members = [(staff_id, r) for staff_id, r in members if r]
    policy = BranchPolicy(branch_id, effective, {staff_subject(s): r for s, r in members})
    return policy, members


async def sod_conflicts(session: AsyncSession, by: Principal) -> list[Conflict]:
    """Members of the caller's branch who hold both permissions of a toxic pair."""
    by.require(POLICY_AUDIT)
    pairs = await repository.toxic_pairs(session)
    found = [
        (staff_id, pair)
        for staff_id, _roles in await repository.assignments(session, by.branch_id)
        for pair in pairs
        if {pair.first, pair.second} <= by.branch_policy.held_by(staff_subject(staff_id))
    ]
    why = by.branch_policy.explain({staff_subject(staff_id) for staff_id, _ in found})
    return [
        Conflict(
            staff_id, pair.name, why[staff_subject(staff_id)][pair.first], why[staff_subject(staff_id)][pair.second]
        )
        for staff_id, pair in found
    ]


async def drift(
    session: AsyncSession, by: Principal, platform_session: AsyncSession
) -> list[tuple[Branch, list[PolicyOverride]]]:
    """Head office: every branch's departures from the baseline. The cross-branch read goes through the
    platform scope; its audit record is written in the caller's own transaction (never in a second one,
    which would wait on the branch's audit-chain lock that the caller may already hold)."""
    by.require(BASELINE_READ)
    rows = await repository.all_overrides(platform_session)
    await audit.record(
        session, by.branch_id, by.author, "policy.drift_viewed", "baseline", None, {"branches": len(rows)}
    )
    return rows


async def changes_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[PolicyChange]:
    """Changes of the principal's branch by id; none without ``policy:audit`` (as if they did not exist)."""
    if not by.can(POLICY_AUDIT):
        return []
    return await repository.changes_by_ids(session, by.branch_id, ids)


async def list_changes(session: AsyncSession, by: Principal, page: PageRequest) -> Page[PolicyChange]:
    """Changes to the principal's branch's policy and role assignments, by when they were made (oldest
    first unless ``page`` is descending); changes made at the same moment in the order they were made."""
    by.require(POLICY_AUDIT)
    key = (PolicyChange.changed_at, PolicyChange.id)
    return await keyset(session, repository.changes_query(by.branch_id), key, page, lambda change: change)


async def toxic_pairs(session: AsyncSession, by: Principal) -> dict[str, ToxicPair]:
    by.require(POLICY_AUDIT)
    return {pair.name: pair for pair in await repository.toxic_pairs(session)}


async def baseline(session: AsyncSession, by: Principal) -> dict[str, set[str]]:
    by.require(BASELINE_READ)
    return await repository.baseline(session)
