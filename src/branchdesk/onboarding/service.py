"""Onboarding: a branch with its branch head, and memberships given by head office.

It spans two domains through their services: the branch, its staff and memberships belong to
``tenants``; the roles, recorded in the policy history, to ``rbac``. Writing into the new branch goes
through :func:`branchdesk.access.unit_of_work.across`, as every head-office write into a branch does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import across
from branchdesk.credentials import service as credentials
from branchdesk.platform import audit, outbox
from branchdesk.platform.errors import DomainError, InvalidInput
from branchdesk.rbac import service as rbac
from branchdesk.rbac.permissions import BRANCH_HEAD, HEAD_OFFICE_ADMIN
from branchdesk.tenants import errors
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import Branch, BranchLevel, Membership, Staff
from branchdesk.tenants.permissions import BRANCH_ONBOARD
from branchdesk.tenants.service import BranchDraft


@dataclass(frozen=True)
class Onboarded:
    branch: Branch
    head: Staff
    created: bool
    # The head's activation code, shown once: issued with a new branch whose head has no password yet.
    activation: credentials.Issued | None = None


async def onboard_branch(
    session: AsyncSession, by: Principal, draft: BranchDraft, activation_ttl_seconds: int = 72 * 3600
) -> Onboarded:
    """Create a branch and its branch head's membership. Replaying the same draft returns the same branch.
    A head who has set no password yet gets an activation code, shown once: a replay changes nothing (a
    lost code is replaced with ``issueActivationCode``)."""
    by.require(BRANCH_ONBOARD)
    problems = tenants.validate_draft(draft)
    if problems:
        raise InvalidInput(problems)

    parent = await tenants.parent_for(session, draft)
    existing = await tenants.find_branch(session, draft.code)
    if existing is not None:
        if tenants.same_branch(existing, draft, parent):
            head = await tenants.ensure_staff(session, draft.head)
            return Onboarded(existing, head, created=False)
        raise DomainError(errors.BRANCH_CODE_TAKEN, field="code", code=draft.code)

    branch = await tenants.create_branch(session, draft, parent)
    head = await tenants.ensure_staff(session, draft.head)
    head_role = HEAD_OFFICE_ADMIN if draft.level is BranchLevel.HEAD_OFFICE else BRANCH_HEAD
    async with across(session, by, branch.id) as there:
        await audit.record(
            session,
            branch.id,
            by.author,
            "branch.onboarded",
            "branch",
            branch.id,
            {"code": branch.code, "name": branch.name, "level": branch.level.value, "head": head.employee_number},
        )
        await outbox.enqueue(session, branch.id, "verify_audit_chain")
        await rbac.set_roles(session, there, head.id, [head_role], reason="onboarding")
    if parent is not None:
        await tenants.record_in_head_office(session, by, "branch.onboarded", branch, {"code": branch.code})
    activation = await credentials.issue_first_code(session, by, head, activation_ttl_seconds)
    return Onboarded(branch, head, created=True, activation=activation)


async def grant_membership(
    session: AsyncSession, by: Principal, branch: Branch, staff: Staff, roles: list[str]
) -> Membership:
    """Give a staff member roles in a branch (idempotent; roles are merged)."""
    by.require(BRANCH_ONBOARD)
    async with across(session, by, branch.id) as there:
        membership = await tenants.membership(session, branch.id, staff.id)
        current = set(membership.roles) if membership else set()
        if membership is not None and set(roles) <= current:
            return membership
        return await rbac.set_roles(session, there, staff.id, sorted(current | set(roles)))
