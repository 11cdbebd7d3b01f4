"""Changing who may do what: the baseline (head office), a branch's policy and role assignments.

Every change is checked, written to the policy history (before and after) and the audit trail in the
caller's transaction, and announced to every process once that transaction commits.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access import errors as access_errors
from branchdesk.access.policy import BranchRules, announce_change, effective_permissions
from branchdesk.access.principal import Principal
from branchdesk.access.registry import PERMISSIONS, ROLES, Scope
from branchdesk.access.unit_of_work import across
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.rbac import errors, events, repository
from branchdesk.rbac.models import BaselineChange, PolicyChange, PolicyOverride, ToxicPair
from branchdesk.rbac.permissions import BASELINE_MANAGE, DEFAULT_TOXIC_PAIRS, HEAD_OFFICE_ROLES, POLICY_MANAGE
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import BranchLevel, Membership

_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


def _permission(permission: str, *, branch_level_is_head_office: bool | None = None) -> str:
    declared = PERMISSIONS.get(permission)
    if declared is None:
        raise DomainError(access_errors.UNKNOWN_PERMISSION, field="permission", permission=permission)
    if branch_level_is_head_office is False and declared.scope is Scope.HEAD_OFFICE:
        raise DomainError(access_errors.OUT_OF_SCOPE, field="permission", permission=permission)
    return permission


async def _role(session: AsyncSession, role: str) -> str:
    if role in ROLES or role in await repository.baseline(session):
        return role
    raise DomainError(errors.UNKNOWN_ROLE, field="role", role=role)


async def _history(
    session: AsyncSession,
    branch_id: uuid.UUID,
    by: Principal,
    kind: str,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    role: str | None = None,
    permission: str | None = None,
    staff_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> None:
    actor = by.author
    change_id = new_id()
    session.add(
        PolicyChange(
            id=change_id,
            tenant_id=branch_id,
            changed_at=utcnow(),
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_label=actor.label,
            kind=kind,
            role=role,
            permission=permission,
            staff_id=staff_id,
            before=before,
            after=after,
            reason=reason,
        )
    )
    await audit.record(
        session,
        branch_id,
        actor,
        f"policy.{kind}_changed",
        "role" if kind == "permission" else "staff",
        role if kind == "permission" else staff_id,
        {"role": role, "permission": permission, "before": before, "after": after, "reason": reason},
    )
    announce_change(session, branch_id)
    events.policy_changed(session, branch_id, kind, change_id)


# --- baseline ------------------------------------------------------------------------------------


async def sync_baseline(session: AsyncSession, by: Principal) -> list[tuple[str, str]]:
    """At migrate and start: permissions that are new in code reach the stored baseline, granted to the
    roles their domain names, each recorded as a baseline change by ``by`` (the system). A permission
    is new when the baseline history has never mentioned it; after that, head office owns it (a later
    revocation is never undone here). On a new database this seeds the whole baseline. Returns what
    was granted."""
    await repository.lock_baseline(session)  # processes starting together sync one after another
    known = await repository.permissions_in_baseline_history(session)
    granted = [
        (role, declared.name)
        for declared in sorted(PERMISSIONS.values(), key=lambda p: p.name)
        if declared.name not in known
        for role in sorted(declared.baseline)
    ]
    for role, permission in granted:
        await _change_baseline(session, by, role, permission, granted=True)
    if not await repository.toxic_pairs(session):
        for name, first, second, en, zh in DEFAULT_TOXIC_PAIRS:
            session.add(ToxicPair(name=name, first=first, second=second, en=en, zh=zh))
        await session.flush()
    return granted


async def change_baseline(session: AsyncSession, by: Principal, role: str, permission: str, granted: bool) -> set[str]:
    """Head office grants or revokes a permission for a role in every branch (a branch's own change wins)."""
    by.require(BASELINE_MANAGE)
    if not _ROLE_NAME.match(role):
        raise DomainError(errors.ROLE_NAME, field="role")
    _permission(permission)
    current = (await repository.baseline(session)).get(role, set())
    if (permission in current) != granted:
        await _change_baseline(session, by, role, permission, granted)
        office = await tenants.head_office(session)
        if office is not None:
            async with across(session, by, office.id):
                await audit.record(
                    session,
                    office.id,
                    by.author,
                    "baseline.changed",
                    "role",
                    role,
                    {"permission": permission, "granted": granted},
                )
    return (await repository.baseline(session)).get(role, set())


async def _change_baseline(session: AsyncSession, by: Principal, role: str, permission: str, granted: bool) -> None:
    actor = by.author
    await repository.set_baseline(session, role, permission, granted)
    session.add(
        BaselineChange(
            changed_at=utcnow(),
            actor_label=actor.label,
            actor_id=actor.id,
            role=role,
            permission=permission,
            granted=granted,
        )
    )
    await session.flush()
    announce_change(session, None)
    events.policy_changed(session, None, "baseline")


# --- a branch's policy ---------------------------------------------------------------------------


async def set_permission(
    session: AsyncSession, by: Principal, role: str, permission: str, granted: bool, reason: str | None = None
) -> set[str]:
    """Grant or revoke a permission for a role in the caller's branch; returns the role's permissions there."""
    by.require(POLICY_MANAGE)
    branch_id = by.branch_id
    _permission(permission, branch_level_is_head_office=by.in_head_office)
    await _role(session, role)
    baseline = (await repository.baseline(session)).get(role, set())
    existing = await repository.override(session, branch_id, role, permission)
    before = {"granted": _state(baseline, existing, permission), "source": _source(existing)}
    after = {"granted": granted, "source": "baseline" if (permission in baseline) == granted else _source_of(granted)}
    if before["granted"] == granted:
        return await role_permissions(session, branch_id, role)
    if (permission in baseline) == granted:
        await session.delete(existing)  # back to the baseline
    elif existing is not None:
        existing.granted = granted
    else:
        session.add(PolicyOverride(tenant_id=branch_id, role=role, permission=permission, granted=granted))
    await session.flush()
    await _history(session, branch_id, by, "permission", before, after, role=role, permission=permission, reason=reason)
    return await role_permissions(session, branch_id, role)


def _state(baseline: set[str], override: PolicyOverride | None, permission: str) -> bool:
    return override.granted if override is not None else permission in baseline


def _source(override: PolicyOverride | None) -> str:
    return "baseline" if override is None else _source_of(override.granted)


def _source_of(granted: bool) -> str:
    return "grant" if granted else "revoke"


async def role_permissions(session: AsyncSession, branch_id: uuid.UUID, role: str) -> set[str]:
    overrides = [(o.role, o.permission, o.granted) for o in await repository.overrides(session, branch_id)]
    return effective_permissions(await repository.baseline(session), overrides).get(role, set())


# --- role assignments ----------------------------------------------------------------------------


async def set_roles(
    session: AsyncSession,
    by: Principal,
    staff_id: uuid.UUID,
    roles: list[str],
    reason: str | None = None,
    window: tenants.Window | None = None,
) -> Membership:
    """Give a staff member exactly ``roles`` in the principal's branch (a membership is created if needed,
    counting in ``window``: by default from now on); the caller has authorised the change."""
    for role in roles:
        await _role(session, role)
    await _refuse_head_office_roles_outside_it(session, by, staff_id, set(roles))
    membership, before = await tenants.set_member_roles(
        session, by.branch_id, staff_id, sorted(set(roles)), author=by.author.label, reason=reason, window=window
    )
    after = sorted(membership.roles)
    if before != after:
        await _history(
            session, by.branch_id, by, "roles", {"roles": before}, {"roles": after}, staff_id=staff_id, reason=reason
        )
    return membership


async def _refuse_head_office_roles_outside_it(
    session: AsyncSession, by: Principal, staff_id: uuid.UUID, roles: set[str]
) -> None:
    """A head-office role held in a branch is a head-office role by name only, and a trap: refuse to
    give one anywhere but the head office (one already held may still be taken away)."""
    wanted = roles & HEAD_OFFICE_ROLES
    if not wanted or by.in_head_office:
        return
    current = await tenants.membership(session, by.branch_id, staff_id)
    added = sorted(wanted - set(current.roles if current else ()))
    if not added:
        return
    branch = await tenants.branch_by_id(session, by.branch_id)  # a principal moved across knows only the id
    if branch.level is not BranchLevel.HEAD_OFFICE:
        raise DomainError(errors.HEAD_OFFICE_ROLE, field="role", role=added[0])


async def remove_roles(session: AsyncSession, by: Principal, staff_id: uuid.UUID, reason: str | None = None) -> None:
    """End a staff member's membership of the principal's branch, recorded as their roles taken away;
    the caller has authorised it."""
    before = await tenants.remove_member(session, by.branch_id, staff_id, author=by.author.label, reason=reason)
    await _history(
        session, by.branch_id, by, "roles", {"roles": before}, {"roles": []}, staff_id=staff_id, reason=reason
    )


async def assign_role(
    session: AsyncSession, by: Principal, staff_id: uuid.UUID, role: str, assigned: bool, reason: str | None = None
) -> Membership:
    """Assign or unassign a role to a member of the caller's branch."""
    by.require(POLICY_MANAGE)
    membership = await tenants.membership(session, by.branch_id, staff_id)
    if membership is None:
        raise NotFound("Staff member", "员工", field="staffId")
    roles = set(membership.roles) | {role} if assigned else set(membership.roles) - {role}
    return await set_roles(session, by, staff_id, sorted(roles), reason)


# --- where the access layer's policies come from ---------------------------------------------------


async def stored_baseline(session: AsyncSession) -> dict[str, set[str]]:
    return await repository.baseline(session)


async def branch_rules(session: AsyncSession, branch_id: uuid.UUID, direct: dict[str, list[str]]) -> BranchRules:
    """The branch's overrides and role assignments, with the direct grants (service accounts) given."""
    overrides = [(o.role, o.permission, o.granted) for o in await repository.overrides(session, branch_id)]
    now = utcnow()
    windows = await repository.membership_windows(session, branch_id)
    return BranchRules(
        overrides, repository.current(windows, now), direct, valid_until=repository.next_boundary(windows, now)
    )
