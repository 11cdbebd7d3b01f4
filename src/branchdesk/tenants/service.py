"""Head office and branches: onboarding, suspension, reactivation, staff and memberships."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform import audit, outbox
from branchdesk.platform.audit import Actor
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import acting_in
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.tenants import errors, repository
from branchdesk.rbac import service as rbac
from branchdesk.rbac.access import Acting, actor_of, check
from branchdesk.tenants.models import LEVEL_LABELS, PARENT_LEVEL, STATUS_LABELS, Branch, BranchLevel, BranchStatus, Membership, Staff

BRANCH_HEAD_ROLE = "branch_head"
HEAD_OFFICE_ADMIN_ROLE = "head_office_admin"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CODE = re.compile(r"^[0-9A-Z]{2,16}$")
_EMPLOYEE_NUMBER = re.compile(r"^[0-9A-Za-z]{3,32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class StaffDraft:
    employee_number: str
    display_name: str
    email: str | None = None


@dataclass(frozen=True)
class BranchDraft:
    code: str
    name: str
    level: BranchLevel
    timezone: str
    head: StaffDraft
    parent_code: str | None = None
    business_hours: dict[str, list[list[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Onboarded:
    branch: Branch
    head: Staff
    created: bool


def _validate_staff(draft: StaffDraft, prefix: str) -> list[DomainError]:
    problems = []
    if not _EMPLOYEE_NUMBER.match(draft.employee_number):
        problems.append(DomainError(errors.INVALID_EMPLOYEE_NUMBER, field=f"{prefix}employeeNumber"))
    if not 1 <= len(draft.display_name.strip()) <= 100:
        problems.append(DomainError(errors.INVALID_NAME, field=f"{prefix}displayName"))
    if draft.email is not None and not _EMAIL.match(draft.email):
        problems.append(DomainError(errors.INVALID_EMAIL, field=f"{prefix}email"))
    return problems


def _validate_hours(hours: dict[str, list[list[str]]]) -> list[DomainError]:
    def bad(en: str, zh: str) -> DomainError:
        return DomainError(errors.INVALID_HOURS, field="businessHours", reason=en, reason_zh=zh)

    for day, periods in hours.items():
        if day not in WEEKDAYS:
            return [bad(f"{day} is not a weekday.", f"{day} 不是有效的星期。")]
        previous_close = ""
        for opens, closes in periods:
            if not (_TIME.match(opens) and _TIME.match(closes)):
                return [bad("Times are written HH:MM.", "时间格式须为 HH:MM。")]
            if opens >= closes or opens < previous_close:
                return [bad(f"Opening periods on {day} must be in order and not overlap.", f"{day} 的营业时段须按顺序且不重叠。")]
            previous_close = closes
    return []


def validate_draft(draft: BranchDraft) -> list[DomainError]:
    problems: list[DomainError] = []
    if not _CODE.match(draft.code):
        problems.append(DomainError(errors.BRANCH_CODE_FORMAT, field="code"))
    if not 1 <= len(draft.name.strip()) <= 200:
        problems.append(DomainError(errors.INVALID_NAME, field="name"))
    try:
        zoneinfo.ZoneInfo(draft.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(DomainError(errors.INVALID_TIMEZONE, field="timezone", zone=draft.timezone))
    problems += _validate_hours(draft.business_hours)
    problems += _validate_staff(draft.head, "head.")
    return problems


async def onboard_branch(session: AsyncSession, by: Acting, draft: BranchDraft) -> Onboarded:
    """Create a branch and its branch head's membership. Replaying the same draft returns the same branch."""
    check(by, "branch:onboard")
    problems = validate_draft(draft)
    if problems:
        raise InvalidInput(problems)

    parent = await _parent_for(session, draft)
    existing = await repository.branch_by_code(session, draft.code)
    if existing is not None:
        if _same_branch(existing, draft, parent):
            head = await ensure_staff(session, draft.head)
            return Onboarded(existing, head, created=False)
        raise DomainError(errors.BRANCH_CODE_TAKEN, field="code", code=draft.code)

    branch = Branch(
        code=draft.code,
        name=draft.name.strip(),
        level=draft.level,
        parent_id=parent.id if parent else None,
        timezone=draft.timezone,
        business_hours=draft.business_hours,
        status=BranchStatus.ACTIVE,
    )
    session.add(branch)
    try:
        await session.flush()
    except IntegrityError as exc:  # another onboarding of this code committed first
        if "uq_branches_code" not in str(exc.orig):
            raise
        raise DomainError(errors.BRANCH_CODE_TAKEN, field="code", code=draft.code) from exc
    head = await ensure_staff(session, draft.head)
    head_role = HEAD_OFFICE_ADMIN_ROLE if draft.level is BranchLevel.HEAD_OFFICE else BRANCH_HEAD_ROLE
    actor = actor_of(by)
    await rbac.ensure_baseline(session, actor)
    async with acting_in(session, branch.id):
        await audit.record(
            session, branch.id, actor, "branch.onboarded", "branch", branch.id,
            {"code": branch.code, "name": branch.name, "level": branch.level.value, "head": head.employee_number},
        )
        await outbox.enqueue(session, branch.id, "verify_audit_chain")
    await rbac.set_roles(session, actor, branch.id, head.id, [head_role], reason="onboarding")
    if parent is not None:
        await _record_in_head_office(session, actor, "branch.onboarded", branch, {"code": branch.code})
    return Onboarded(branch, head, created=True)


def _same_branch(existing: Branch, draft: BranchDraft, parent: Branch | None) -> bool:
    return (
        existing.name == draft.name.strip()
        and existing.level is draft.level
        and existing.parent_id == (parent.id if parent else None)
        and existing.timezone == draft.timezone
        and existing.business_hours == draft.business_hours
    )


async def _parent_for(session: AsyncSession, draft: BranchDraft) -> Branch | None:
    if draft.level is BranchLevel.HEAD_OFFICE:
        current = await repository.head_office(session)
        if current is not None and current.code != draft.code:
            raise DomainError(errors.HEAD_OFFICE_EXISTS, field="level")
        return None
    if not draft.parent_code:
        raise DomainError(errors.UNKNOWN_PARENT, field="parentCode", code="")
    parent = await repository.branch_by_code(session, draft.parent_code)
    if parent is None:
        raise DomainError(errors.UNKNOWN_PARENT, field="parentCode", code=draft.parent_code)
    expected = PARENT_LEVEL[draft.level]
    if parent.level is not expected:
        raise DomainError(
            errors.PARENT_LEVEL,
            field="parentCode",
            level=draft.level.value,
            parent_level=expected.value,
            level_zh=LEVEL_LABELS[draft.level][1],
            parent_level_zh=LEVEL_LABELS[expected][1],
        )
    return parent


async def _record_in_head_office(
    session: AsyncSession, actor: Actor, action: str, branch: Branch, details: dict[str, Any]
) -> None:
    office = await repository.head_office(session)
    if office is not None and office.id != branch.id:
        async with acting_in(session, office.id):
            await audit.record(session, office.id, actor, action, "branch", branch.id, details)


async def ensure_staff(session: AsyncSession, draft: StaffDraft) -> Staff:
    """The staff identity with this employee number, created if new; differing details are an error."""
    problems = _validate_staff(draft, "")
    if problems:
        raise InvalidInput(problems)
    staff = await repository.staff_by_employee_number(session, draft.employee_number)
    if staff is None:
        staff = Staff(employee_number=draft.employee_number, display_name=draft.display_name.strip(), email=draft.email)
        session.add(staff)
        await session.flush()
        return staff
    if staff.display_name != draft.display_name.strip() or (draft.email and staff.email != draft.email):
        raise DomainError(errors.STAFF_CONFLICT, field="head.employeeNumber", employee_number=draft.employee_number)
    return staff


async def grant_membership(
    session: AsyncSession, by: Acting, branch: Branch, staff: Staff, roles: list[str]
) -> Membership:
    """Give a staff member roles in a branch (idempotent; roles are merged)."""
    check(by, "branch:onboard")
    async with acting_in(session, branch.id):
        membership = await repository.membership(session, branch.id, staff.id)
    current = set(membership.roles) if membership else set()
    if membership is not None and set(roles) <= current:
        return membership
    return await rbac.set_roles(session, actor_of(by), branch.id, staff.id, sorted(current | set(roles)))


async def get_branch(session: AsyncSession, code: str) -> Branch:
    branch = await repository.branch_by_code(session, code)
    if branch is None:
        raise NotFound("Branch", "网点", field="code")
    return branch


async def set_branch_status(
    session: AsyncSession, by: Acting, code: str, status: BranchStatus, reason: str | None = None
) -> Branch:
    """Suspend, reactivate or close a branch. Staff of a branch that is not active cannot act in it."""
    check(by, "branch:suspend")
    branch = await get_branch(session, code)
    if branch.level is BranchLevel.HEAD_OFFICE:
        raise DomainError(errors.HEAD_OFFICE_STATUS, field="code")
    if branch.status is status:
        return branch
    allowed = {
        BranchStatus.SUSPENDED: {BranchStatus.ACTIVE},
        BranchStatus.ACTIVE: {BranchStatus.SUSPENDED},
        BranchStatus.CLOSED: {BranchStatus.ACTIVE, BranchStatus.SUSPENDED},
    }[status]
    if branch.status not in allowed:
        action = {BranchStatus.SUSPENDED: ("suspended", "暂停"), BranchStatus.ACTIVE: ("reactivated", "恢复"),
                  BranchStatus.CLOSED: ("closed", "关闭")}[status]
        raise DomainError(
            errors.STATUS_CHANGE, field="code", status=branch.status.value, status_zh=STATUS_LABELS[branch.status][1],
            action=action[0], action_zh=action[1],
        )
    before = branch.status
    branch.status, branch.status_reason, branch.updated_at = status, reason, utcnow()
    await session.flush()
    details = {"before": before.value, "after": status.value, "reason": reason}
    actor = actor_of(by)
    async with acting_in(session, branch.id):
        await audit.record(session, branch.id, actor, f"branch.{status.value}", "branch", branch.id, details)
    await _record_in_head_office(session, actor, f"branch.{status.value}", branch, {"code": branch.code, **details})
    return branch


def hours_from_rows(rows: list[tuple[str, str, str]]) -> dict[str, list[list[str]]]:
    """``[(weekday, opens, closes)]`` to the stored form, periods sorted by opening time."""
    hours: dict[str, list[list[str]]] = {}
    for day, opens, closes in rows:
        hours.setdefault(day, []).append([opens, closes])
    return {day: sorted(periods) for day, periods in sorted(hours.items(), key=lambda kv: WEEKDAYS.index(kv[0]) if kv[0] in WEEKDAYS else 99)}
