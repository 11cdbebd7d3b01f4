"""Changing who may do what: the baseline (head office), a branch's policy and role assignments.

Every change is checked, written to the policy history (before and after) and the audit trail in the
caller's transaction, and announced to every process once that transaction commits.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import acting_in
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.rbac import errors, repository
from branchdesk.rbac.access import Acting, Principal, actor_of, authorize, check
from branchdesk.rbac.enforcer import announce_change, effective_permissions
from branchdesk.rbac.models import BaselineChange, PolicyChange, PolicyOverride, ToxicPair
from branchdesk.rbac.permissions import DEFAULT_TOXIC_PAIRS, PERMISSIONS, ROLES, Scope
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import Membership

_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


def _permission(permission: str, *, branch_level_is_head_office: bool | None = None) -> str:
    declared = PERMISSIONS.get(permission)
    if declared is None:
        raise DomainError(errors.UNKNOWN_PERMISSION, field="permission", permission=permission)
    if branch_level_is_head_office is False and declared.scope is Scope.HEAD_OFFICE:
        raise DomainError(errors.OUT_OF_SCOPE, field="permission", permission=permission)
    return permission


async def _role(session: AsyncSession, role: str) -> str:
    if role in ROLES or role in await repository.baseline(session):
        return role
    raise DomainError(errors.UNKNOWN_ROLE, field="role", role=role)


async def _history(
    session: AsyncSession, tenant_id: uuid.UUID, by: Acting, kind: str, before: dict[str, Any], after: dict[str, Any],
    *, role: str | None = None, permission: str | None = None, staff_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> None:
    actor = actor_of(by)
    session.add(
        PolicyChange(
            tenant_id=tenant_id, changed_at=utcnow(), actor_kind=actor.kind, actor_id=actor.id,
            actor_label=actor.label, kind=kind, role=role, permission=permission, staff_id=staff_id,
            before=before, after=after, reason=reason,
        )
    )
    await audit.record(
        session, tenant_id, actor, f"policy.{kind}_changed", "role" if kind == "permission" else "staff",
        role if kind == "permission" else staff_id,
        {"role": role, "permission": permission, "before": before, "after": after, "reason": reason},
    )
    announce_change(session, tenant_id)


# --- baseline ------------------------------------------------------------------------------------


async def ensure_baseline(session: AsyncSession, by: Acting) -> None:
    """First start: the head-office baseline and toxic pairs as shipped, recorded as changes."""
    if await repository.baseline_is_empty(session):
        for role in ROLES.values():
            for permission in sorted(role.baseline):
                await _change_baseline(session, by, role.name, permission, granted=True)
    if not await repository.toxic_pairs(session):
        for name, first, second, en, zh in DEFAULT_TOXIC_PAIRS:
            session.add(ToxicPair(name=name, first=first, second=second, en=en, zh=zh))
        await session.flush()


async def change_baseline(session: AsyncSession, by: Acting, role: str, permission: str, granted: bool) -> set[str]:
    """Head office grants or revokes a permission for a role in every branch (a branch's own change wins)."""
    check(by, "baseline:manage")
    if not _ROLE_NAME.match(role):
        raise DomainError(errors.ROLE_NAME, field="role")
    _permission(permission)
    current = (await repository.baseline(session)).get(role, set())
    if (permission in current) != granted:
        await _change_baseline(session, by, role, permission, granted)
        office = await tenants.head_office(session)
        if office is not None:
            async with acting_in(session, office.id):
                await audit.record(
                    session, office.id, actor_of(by), "baseline.changed", "role", role,
                    {"permission": permission, "granted": granted},
                )
    return (await repository.baseline(session)).get(role, set())


async def _change_baseline(session: AsyncSession, by: Acting, role: str, permission: str, granted: bool) -> None:
    actor = actor_of(by)
    await repository.set_baseline(session, role, permission, granted)
    session.add(
        BaselineChange(
            changed_at=utcnow(), actor_label=actor.label, actor_id=actor.id, role=role, permission=permission,
            granted=granted,
        )
    )
    await session.flush()
    announce_change(session, None)


# --- a branch's policy ---------------------------------------------------------------------------


async def set_permission(
    session: AsyncSession, by: Principal, role: str, permission: str, granted: bool, reason: str | None = None
) -> set[str]:
    """Grant or revoke a permission for a role in the caller's branch; returns the role's permissions there."""
    authorize(by, "policy:manage")
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
    session: AsyncSession, by: Acting, branch_id: uuid.UUID, staff_id: uuid.UUID, roles: list[str],
    reason: str | None = None,
) -> Membership:
    """Give a staff member exactly ``roles`` in a branch (a membership is created if needed)."""
    for role in roles:
        await _role(session, role)
    async with acting_in(session, branch_id):
        membership = await tenants.membership(session, branch_id, staff_id)
        before = sorted(membership.roles) if membership else []
        after = sorted(set(roles))
        if membership is None:
            membership = Membership(tenant_id=branch_id, staff_id=staff_id, roles=after)
            session.add(membership)
        elif before == after:
            return membership
        else:
            membership.roles = after
        await session.flush()
        await _history(session, branch_id, by, "roles", {"roles": before}, {"roles": after}, staff_id=staff_id, reason=reason)
    return membership


async def assign_role(
    session: AsyncSession, by: Principal, staff_id: uuid.UUID, role: str, assigned: bool, reason: str | None = None
) -> Membership:
    """Assign or unassign a role to a member of the caller's branch."""
    authorize(by, "policy:manage")
    membership = await tenants.membership(session, by.branch_id, staff_id)
    if membership is None:
        raise NotFound("Staff member", "员工", field="staffId")
    roles = set(membership.roles) | {role} if assigned else set(membership.roles) - {role}
    return await set_roles(session, by, by.branch_id, staff_id, sorted(roles), reason)
