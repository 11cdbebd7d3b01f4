"""Who is acting, and whether they may do a thing: the one place where a decision is made.

The caller's branch enforcer answers; head-office permissions additionally need the caller to act in
the head office, whatever a branch grants itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from branchdesk.platform.audit import Actor
from branchdesk.platform.errors import Forbidden
from branchdesk.rbac.enforcer import BranchPolicy
from branchdesk.rbac.permissions import PERMISSIONS, Scope
from branchdesk.tenants.models import BranchLevel


@dataclass(frozen=True, eq=False)
class Principal:
    subject: str  # "staff:<id>" or "service:<id>"
    actor: Actor
    branch_id: uuid.UUID
    branch_code: str
    branch_level: BranchLevel
    policy: BranchPolicy = field(repr=False)
    roles: frozenset[str] = frozenset()
    staff_id: uuid.UUID | None = None
    # A service account's token names the permissions it may use; None: whatever the policy allows.
    scope: frozenset[str] | None = None

    @property
    def in_head_office(self) -> bool:
        return self.branch_level is BranchLevel.HEAD_OFFICE

    def can(self, permission: str) -> bool:
        declared = PERMISSIONS.get(permission)
        if declared is None or (declared.scope is Scope.HEAD_OFFICE and not self.in_head_office):
            return False
        if self.scope is not None and permission not in self.scope:
            return False
        return self.policy.allows(self.subject, permission)

    def owns(self, staff_id: uuid.UUID | None) -> bool:
        return staff_id is not None and staff_id == self.staff_id


def authorize(principal: Principal, permission: str) -> None:
    if not principal.can(permission):
        raise Forbidden(permission)


# Who a service call acts for: a person or account (checked), or the system itself (the CLI, jobs,
# the demo), which is trusted and only recorded.
Acting = Principal | Actor


def actor_of(by: Acting) -> Actor:
    return by.actor if isinstance(by, Principal) else by


def check(by: Acting, permission: str) -> None:
    """:func:`authorize` for a principal; the system acts unchecked (it is recorded as the actor)."""
    if isinstance(by, Principal):
        authorize(by, permission)


def sees_unmasked(principal: Principal, resource: str, owner_id: uuid.UUID | None) -> bool:
    """Data scope: the owner of a record sees it whole; others need ``<resource>.pii:read``."""
    return principal.owns(owner_id) or principal.can(f"{resource}.pii:read")
