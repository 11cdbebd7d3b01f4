"""Who is acting, and whether they may do a thing: the one place where a decision is made.

A :class:`Principal` is a member of staff or a service account acting in one branch (checked
against that branch's policy), or the system itself (jobs, the CLI, the demo), which is trusted and
only recorded. Head-office permissions additionally need the principal to act in the head office,
whatever a branch grants itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from branchdesk.access.policy import BranchPolicy
from branchdesk.access.registry import PERMISSIONS, DataScope, Scope
from branchdesk.platform.audit import Author
from branchdesk.platform.errors import Forbidden


@dataclass(frozen=True)
class BranchRef:
    """The branch a principal acts in: what every service needs to know of it without a query."""

    id: uuid.UUID
    code: str | None = None
    head_office: bool = False


@dataclass(frozen=True)
class StaffCard:
    """The caller's own name and number, as the branch-entry statement read them (it reads them anyway,
    for the audit trail): what ``me`` shows first, without another statement."""

    employee_number: str
    display_name: str


@dataclass(frozen=True, eq=False)
class Principal:
    subject: str  # "staff:<id>", "service:<id>" or "system:<label>"
    author: Author  # how the audit trail names them
    branch: BranchRef | None
    policy: BranchPolicy | None = field(default=None, repr=False)
    staff_id: uuid.UUID | None = None
    # A service account's token names the permissions it may use; None: whatever the policy allows.
    scope: frozenset[str] | None = None
    card: StaffCard | None = None  # a staff member's, when they entered a branch

    @classmethod
    def system(cls, label: str, branch: BranchRef | None = None) -> Principal:
        return cls(subject=f"system:{label}", author=Author.system(label), branch=branch)

    @property
    def is_system(self) -> bool:
        return self.author.kind == "system"

    @property
    def is_service(self) -> bool:
        return self.author.kind == "service"

    @property
    def branch_id(self) -> uuid.UUID:
        if self.branch is None:
            raise RuntimeError(f"{self.subject} acts in no branch")
        return self.branch.id

    @property
    def branch_policy(self) -> BranchPolicy:
        if self.policy is None:
            raise RuntimeError(f"{self.subject} acts under no branch policy")
        return self.policy

    @property
    def in_head_office(self) -> bool:
        return self.branch is not None and self.branch.head_office

    def can(self, permission: str) -> bool:
        declared = PERMISSIONS.get(permission)
        if declared is None:
            return False
        if self.is_system:
            return True
        if declared.scope is Scope.HEAD_OFFICE and not self.in_head_office:
            return False
        if self.scope is not None and permission not in self.scope:
            return False
        return self.policy is not None and self.policy.allows(self.subject, permission)

    def require(self, permission: str) -> None:
        """Forbidden unless the principal may do ``permission`` here (the system may do anything)."""
        if not self.can(permission):
            raise Forbidden(permission)

    def data_scope(self, permission: str) -> DataScope | None:
        """How much of the branch's data the principal's grant of a data-scoped permission reaches;
        None without the permission. The system reaches the whole branch."""
        if not self.can(permission):
            return None
        if self.is_system or self.policy is None:
            return DataScope.BRANCH
        return self.policy.data_scope(self.subject, permission) or DataScope.OWN

    def owns(self, staff_id: uuid.UUID | None) -> bool:
        return staff_id is not None and staff_id == self.staff_id

    def sees_unmasked(self, resource: str, owner_id: uuid.UUID | None) -> bool:
        """Data scope: the owner of a record sees it whole; others need ``<resource>.pii:read``."""
        return self.owns(owner_id) or self.can(f"{resource}.pii:read")

    def moved_to(self, branch: BranchRef) -> Principal:
        """The same principal writing into another branch (see :func:`unit_of_work.across`); it holds no
        permission there, so only what the caller already authorised can follow."""
        return replace(self, branch=branch, policy=None)
