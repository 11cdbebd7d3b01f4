"""Who is acting, in which branch, and whether they may do a thing.

Until the access-control issue brings Casbin, membership is the whole authorization: head-office
permissions need a membership in the head office, every other permission a membership in the active
branch. :func:`authorize` is the single place where that decision is made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.audit import Actor
from branchdesk.platform.database import bind_tenant
from branchdesk.platform.errors import DomainError, Forbidden, Unauthenticated
from branchdesk.tenants import errors, repository
from branchdesk.tenants.models import Branch, BranchLevel, BranchStatus, StaffStatus


class Scope(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"


# Every permission the platform knows, and where it can be held.
PERMISSIONS: dict[str, Scope] = {
    "branch:onboard": Scope.HEAD_OFFICE,
    "branch:suspend": Scope.HEAD_OFFICE,
    "branch:list": Scope.HEAD_OFFICE,
    "branch:read": Scope.BRANCH,
    "staff:read": Scope.BRANCH,
}


@dataclass(frozen=True)
class Principal:
    staff_id: uuid.UUID
    employee_number: str
    display_name: str
    branch_id: uuid.UUID
    branch_code: str
    branch_level: BranchLevel
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def in_head_office(self) -> bool:
        return self.branch_level is BranchLevel.HEAD_OFFICE

    @property
    def actor(self) -> Actor:
        return Actor("staff", self.staff_id, f"{self.employee_number} {self.display_name}")


def authorize(principal: Principal, permission: str) -> None:
    scope = PERMISSIONS.get(permission)
    if scope is None:
        raise Forbidden(permission)
    if scope is Scope.HEAD_OFFICE and not principal.in_head_office:
        raise Forbidden(permission)


async def enter_branch(session: AsyncSession, staff_id: uuid.UUID, branch_code: str | None) -> Principal:
    """Bind the session's transaction to the requested branch after checking the caller belongs there.

    An unknown branch and a branch the caller is not a member of give the same answer.
    """
    staff = await repository.staff_by_id(session, staff_id)
    if staff is None or staff.status is not StaffStatus.ACTIVE:
        raise Unauthenticated()
    if not branch_code:
        raise DomainError(errors.BRANCH_REQUIRED, field="X-Branch")
    branch = await repository.branch_by_code(session, branch_code)
    if branch is None:
        raise DomainError(errors.BRANCH_ACCESS, field="X-Branch", code=branch_code)
    await bind_tenant(session, branch.id)
    membership = await repository.membership(session, branch.id, staff.id)
    if membership is None:
        raise DomainError(errors.BRANCH_ACCESS, field="X-Branch", code=branch_code)
    _refuse_inactive(branch)
    return Principal(
        staff_id=staff.id,
        employee_number=staff.employee_number,
        display_name=staff.display_name,
        branch_id=branch.id,
        branch_code=branch.code,
        branch_level=branch.level,
        roles=frozenset(membership.roles),
    )


STATUS_ZH = {BranchStatus.ACTIVE: "正常", BranchStatus.SUSPENDED: "暂停", BranchStatus.CLOSED: "关闭"}


def _refuse_inactive(branch: Branch) -> None:
    if branch.status is not BranchStatus.ACTIVE:
        raise DomainError(
            errors.BRANCH_SUSPENDED,
            field="X-Branch",
            code=branch.code,
            status=branch.status.value,
            status_zh=STATUS_ZH[branch.status],
        )
