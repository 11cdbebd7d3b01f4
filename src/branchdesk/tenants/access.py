"""Entering a branch: the caller must belong to it, and it must be open.

An unknown branch and a branch the caller is not a member of give the same answer.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.audit import Actor
from branchdesk.platform.database import bind_tenant
from branchdesk.platform.errors import DomainError, Unauthenticated
from branchdesk.rbac.access import Principal
from branchdesk.rbac.enforcer import PolicyCache, staff_subject
from branchdesk.tenants import errors, repository
from branchdesk.tenants.models import STATUS_LABELS, Branch, BranchStatus, StaffStatus

async def open_branch(session: AsyncSession, branch_code: str | None) -> Branch:
    """The branch named by X-Branch, with the session bound to it."""
    if not branch_code:
        raise DomainError(errors.BRANCH_REQUIRED, field="X-Branch")
    branch = await repository.branch_by_code(session, branch_code)
    if branch is None:
        raise DomainError(errors.BRANCH_ACCESS, field="X-Branch", code=branch_code)
    await bind_tenant(session, branch.id)
    return branch


async def enter_branch(
    session: AsyncSession, policies: PolicyCache, staff_id: uuid.UUID, branch_code: str | None
) -> Principal:
    """Bind the session's transaction to the requested branch after checking the caller belongs there."""
    staff = await repository.staff_by_id(session, staff_id)
    if staff is None or staff.status is not StaffStatus.ACTIVE:
        raise Unauthenticated()
    branch = await open_branch(session, branch_code)
    membership = await repository.membership(session, branch.id, staff.id)
    try:
        if membership is None:
            raise DomainError(errors.BRANCH_ACCESS, field="X-Branch", code=branch_code)
        refuse_inactive(branch)
    except DomainError:
        await bind_tenant(session, None)  # refused: the request's other fields must not run in that branch
        raise
    return Principal(
        subject=staff_subject(staff.id),
        actor=Actor("staff", staff.id, f"{staff.employee_number} {staff.display_name}"),
        branch_id=branch.id,
        branch_code=branch.code,
        branch_level=branch.level,
        policy=await policies.for_branch(session, branch.id),
        roles=frozenset(membership.roles),
        staff_id=staff.id,
    )


def refuse_inactive(branch: Branch) -> None:
    if branch.status is not BranchStatus.ACTIVE:
        raise DomainError(
            errors.BRANCH_SUSPENDED,
            field="X-Branch",
            code=branch.code,
            status=branch.status.value,
            status_zh=STATUS_LABELS[branch.status][1],
        )
