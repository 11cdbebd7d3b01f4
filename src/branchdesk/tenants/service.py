"""Head office and branches: validation, suspension, reactivation, staff and memberships (onboarding,
which also assigns roles, is ``branchdesk.onboarding``)."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import across
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound, Unauthenticated
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.tenants import errors, repository
from branchdesk.tenants.contact import contact_problems
from branchdesk.tenants.models import (
    LEVEL_LABELS,
    PARENT_LEVEL,
    STATUS_LABELS,
    Branch,
    BranchLevel,
    BranchStatus,
    Membership,
    MembershipKind,
    MembershipPeriod,
    Staff,
    StaffStatus,
)
from branchdesk.tenants.permissions import BRANCH_LIST, BRANCH_READ, BRANCH_SUSPEND, STAFF_READ

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CODE = re.compile(r"^[0-9A-Z]{2,16}$")
EMPLOYEE_NUMBER = re.compile(r"^[0-9A-Za-z]{3,32}$")  # E0101001: 3 to 32 letters or digits
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


def staff_problems(
    employee_number: str, display_name: str, email: str | None, phone: str | None = None, prefix: str = ""
) -> list[DomainError]:
    """What is wrong with a new identity's details, each error naming its field (under ``prefix``)."""
    problems = []
    if not EMPLOYEE_NUMBER.match(employee_number):
        problems.append(DomainError(errors.INVALID_EMPLOYEE_NUMBER, field=f"{prefix}employeeNumber"))
    if not 1 <= len(display_name.strip()) <= 100:
        problems.append(DomainError(errors.INVALID_NAME, field=f"{prefix}displayName"))
    return problems + contact_problems(email, phone, prefix)


def _validate_staff(draft: StaffDraft, prefix: str) -> list[DomainError]:
    return staff_problems(draft.employee_number, draft.display_name, draft.email, None, prefix)


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
                return [
                    bad(
                        f"Opening periods on {day} must be in order and not overlap.",
                        f"{day} 的营业时段须按顺序且不重叠。",
                    )
                ]
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
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        shown = draft.timezone if len(draft.timezone) <= 64 else draft.timezone[:40] + "…"
        problems.append(DomainError(errors.INVALID_TIMEZONE, field="timezone", value=shown))
    problems += _validate_hours(draft.business_hours)
    problems += _validate_staff(draft.head, "head.")
    return problems


async def parent_for(session: AsyncSession, draft: BranchDraft) -> Branch | None:
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


async def record_in_head_office(
    session: AsyncSession, by: Principal, action: str, branch: Branch, details: dict[str, Any]
) -> None:
    """What head office did to a branch also goes to the head office's own trail."""
    office = await repository.head_office(session)
    if office is not None and office.id != branch.id:
        async with across(session, by, office.id):
            await audit.record(session, office.id, by.author, action, "branch", branch.id, details)


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


def same_branch(existing: Branch, draft: BranchDraft, parent: Branch | None) -> bool:
    return (
        existing.name == draft.name.strip()
        and existing.level is draft.level
        and existing.parent_id == (parent.id if parent else None)
        and existing.timezone == draft.timezone
        and existing.business_hours == draft.business_hours
    )


async def create_branch(session: AsyncSession, draft: BranchDraft, parent: Branch | None) -> Branch:
    """A new active branch (validated by the caller); BRANCH_CODE_TAKEN if the code was taken meanwhile."""
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
    return branch


async def all_branches(session: AsyncSession) -> list[Branch]:
    """Every branch (platform table: no branch binding needed), for work that fans out per branch."""
    return await repository.all_branches(session)


async def find_branch(session: AsyncSession, code: str) -> Branch | None:
    return await repository.branch_by_code(session, code)


async def branch_by_id(session: AsyncSession, branch_id: uuid.UUID) -> Branch:
    return (await repository.branches_by_id(session, [branch_id]))[0]


async def head_office(session: AsyncSession) -> Branch | None:
    return await repository.head_office(session)


async def membership(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID) -> Membership | None:
    """A staff member's membership of a branch (the session must be bound to it); none once it has ended
    (a cover past its end), one that starts later included."""
    found = await repository.membership(session, branch_id, staff_id)
    return found if found is not None and (found.ends_at is None or found.ends_at > utcnow()) else None


class Window(NamedTuple):
    """When a membership counts: from ``starts_at`` until ``ends_at`` (none: until it is removed).
    Immutable, and built for each row of a list: a tuple builds in a seventh of a frozen dataclass's time."""

    kind: MembershipKind = MembershipKind.REGULAR
    starts_at: datetime | None = None  # None: now
    ends_at: datetime | None = None


async def set_member_roles(
    session: AsyncSession,
    branch_id: uuid.UUID,
    staff_id: uuid.UUID,
    roles: list[str],
    *,
    author: str = "system",
    reason: str | None = None,
    window: Window | None = None,
) -> tuple[Membership, list[str]]:
    """Exactly ``roles`` for the staff member in the branch (created as a member if new, in ``window``);
    returns the membership and the roles held before. Each change of roles starts a new period of the
    membership's history. Who may do this is decided by the caller (``rbac``)."""
    now = utcnow()
    membership = await repository.membership(session, branch_id, staff_id)
    if membership is not None and membership.ends_at is not None and membership.ends_at <= now:
        await repository.delete_membership(session, branch_id, staff_id)  # an ended cover: a new start
        await session.flush()
        session.expunge(membership)
        membership = None
    before = sorted(membership.roles) if membership else []
    if membership is None:
        shape = window or Window()
        starts = max(shape.starts_at or now, now)
        membership = Membership(
            tenant_id=branch_id,
            staff_id=staff_id,
            roles=roles,
            kind=shape.kind,
            starts_at=starts,
            ends_at=shape.ends_at,
        )
        session.add(membership)
        repository.add_period(session, membership, starts, author, reason)
    elif before != roles:
        membership.roles = roles
        changed_at = max(now, membership.starts_at)
        await repository.end_periods(session, branch_id, staff_id, changed_at, author, reason)
        repository.add_period(session, membership, changed_at, author, reason)
    await session.flush()
    return membership, before


async def remove_member(
    session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, *, author: str, reason: str | None
) -> list[str]:
    """End the staff member's membership of the branch now (its history stays); returns the roles it held."""
    membership = await repository.membership(session, branch_id, staff_id)
    if membership is None:
        return []
    roles = sorted(membership.roles)
    await repository.end_periods(session, branch_id, staff_id, utcnow(), author, reason)
    await repository.delete_membership(session, branch_id, staff_id)
    session.expunge(membership)
    return roles


async def holders_of(session: AsyncSession, branch_id: uuid.UUID, role: str) -> list[uuid.UUID]:
    """Members of the branch (the session bound to it) who hold ``role`` now."""
    return await repository.current_holders(session, branch_id, role, utcnow())


async def membership_periods(
    session: AsyncSession, branch_id: uuid.UUID, *, staff_id: uuid.UUID | None = None, at: datetime | None = None
) -> list[MembershipPeriod]:
    """The branch's membership history (the session bound to it): one member's, or who was a member at ``at``."""
    return await repository.periods(session, branch_id, staff_id=staff_id, at=at)


async def staff_by_employee_number(session: AsyncSession, employee_number: str, *, lock: bool = True) -> Staff | None:
    """The staff identity (platform-wide), locked for the caller's change unless ``lock`` is false."""
    return await repository.staff_by_employee_number(session, employee_number, for_update=lock)


async def branch_codes(session: AsyncSession, branch_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Branch id → code (branches are platform-wide)."""
    return {b.id: b.code for b in await repository.branches_by_id(session, branch_ids)} if branch_ids else {}


async def staff_by_ids(session: AsyncSession, staff_ids: list[uuid.UUID]) -> list[Staff]:
    return await repository.staff_by_ids(session, staff_ids) if staff_ids else []


async def add_staff(
    session: AsyncSession, employee_number: str, display_name: str, email: str | None, phone: str | None
) -> Staff | None:
    """A new staff identity without a password; None when the employee number is taken (even meanwhile)."""
    staff = Staff(
        employee_number=employee_number, display_name=display_name, email=email, phone=phone, status=StaffStatus.ACTIVE
    )
    try:
        async with session.begin_nested():
            session.add(staff)
            await session.flush()
    except IntegrityError as exc:
        if "uq_staff_employee_number" not in str(exc.orig):
            raise
        return None
    return staff


@dataclass(frozen=True)
class Placement:
    """A branch a staff member has a membership row in, and when it counts (read across branches)."""

    branch: Branch
    roles: list[str]
    window: Window

    def current(self, now: datetime) -> bool:
        starts = self.window.starts_at
        return (starts is None or starts <= now) and (self.window.ends_at is None or now < self.window.ends_at)


async def placements(platform_session: AsyncSession, staff_id: uuid.UUID) -> list[Placement]:
    """Every branch the staff member is placed in, ended covers included (platform scope)."""
    return [
        Placement(row.Branch, list(row.roles), Window(row.kind, row.starts_at, row.ends_at))
        for row in await repository.branches_of_staff(platform_session, staff_id)
    ]


async def get_branch(session: AsyncSession, code: str) -> Branch:
    branch = await repository.branch_by_code(session, code)
    if branch is None:
        raise NotFound("Branch", "网点", field="code")
    return branch


async def set_branch_status(
    session: AsyncSession, by: Principal, code: str, status: BranchStatus, reason: str | None = None
) -> Branch:
    """Suspend, reactivate or close a branch. Staff of a branch that is not active cannot act in it."""
    by.require(BRANCH_SUSPEND)
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
        action = {
            BranchStatus.SUSPENDED: ("suspended", "暂停"),
            BranchStatus.ACTIVE: ("reactivated", "恢复"),
            BranchStatus.CLOSED: ("closed", "关闭"),
        }[status]
        raise DomainError(
            errors.STATUS_CHANGE,
            field="code",
            status=branch.status.value,
            status_zh=STATUS_LABELS[branch.status][1],
            action=action[0],
            action_zh=action[1],
        )
    before = branch.status
    branch.status, branch.status_reason, branch.updated_at = status, reason, utcnow()
    await session.flush()
    details = {"before": before.value, "after": status.value, "reason": reason}
    async with across(session, by, branch.id):
        await audit.record(session, branch.id, by.author, f"branch.{status.value}", "branch", branch.id, details)
    await record_in_head_office(session, by, f"branch.{status.value}", branch, {"code": branch.code, **details})
    return branch


def hours_from_rows(rows: list[tuple[str, str, str]]) -> dict[str, list[list[str]]]:
    """``[(weekday, opens, closes)]`` to the stored form, periods sorted by opening time."""
    hours: dict[str, list[list[str]]] = {}
    for day, opens, closes in rows:
        hours.setdefault(day, []).append([opens, closes])
    return {
        day: sorted(periods)
        for day, periods in sorted(hours.items(), key=lambda kv: WEEKDAYS.index(kv[0]) if kv[0] in WEEKDAYS else 99)
    }


# --- reads ---------------------------------------------------------------------------------------


async def visible_branches(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Branch]:
    """Branches by id that the principal may see: any from head office, otherwise only its own."""
    visible = ids if by.in_head_office else [i for i in ids if i == by.branch_id]
    return await repository.branches_by_id(session, visible) if visible else []


async def branch_named(session: AsyncSession, by: Principal, code: str) -> Branch | None:
    """The branch with this code, if the principal may see it."""
    by.require(BRANCH_READ)
    found = await repository.branch_by_code(session, code)
    return found if found is not None and (by.in_head_office or found.id == by.branch_id) else None


BRANCH_ORDERS: dict[str, Key] = {
    "code": Branch.code,
    "name": (Branch.name, Branch.code),
    "created_at": (Branch.created_at, Branch.id),
}


async def list_branches(
    session: AsyncSession, by: Principal, page: PageRequest, status: BranchStatus | None = None
) -> Page[Branch]:
    """Branches by code unless ``page`` says otherwise (by name, or by when they were onboarded)."""
    by.require(BRANCH_LIST)
    key = BRANCH_ORDERS[page.order_by or "code"]
    return await keyset(session, repository.branches_query(status), key, page, lambda branch: branch)


async def count_branches(session: AsyncSession, by: Principal, status: BranchStatus | None = None) -> int:
    by.require(BRANCH_LIST)
    return await count(session, repository.branches_query(status))


class Member(NamedTuple):
    """A member of staff as a branch's lists show them: no password hash, no personal data. A tuple, like
    :class:`Window`: one is built for each row of a staff list."""

    id: uuid.UUID
    employee_number: str
    display_name: str
    email: str | None
    roles: list[str]
    kind: MembershipKind | None = MembershipKind.REGULAR  # None: the window was not read (a list that shows none)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class PersonalData:
    phone: str | None
    id_number: str | None
    address: str | None


# A row of ``repository.MEMBER_COLUMNS`` and ``WINDOW_COLUMNS`` (or nulls in their place), taken as it is:
# a SQLAlchemy row's attribute access costs about 0.7 µs a name (its compiled ``__getattr__`` runs only
# after a failed lookup), a position 0.04 µs; eight names over a 50-row page were a tenth of the staff
# list's CPU (bench/api.py).
_member = Member._make


async def members_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Member]:
    """Members of the principal's branch with their roles there; anyone else is not found."""
    if not by.can(STAFF_READ):
        return []
    return [_member(row) for row in await repository.members_by_ids(session, by.branch_id, ids)]


# Orders of the staff list: by employee number (unique), or by name with the employee number breaking ties.
MEMBER_ORDERS: dict[str, Key] = {
    "employee_number": Staff.employee_number,
    "display_name": (Staff.display_name, Staff.employee_number),
}


async def list_members(
    session: AsyncSession, by: Principal, page: PageRequest, search: str | None = None, *, window: bool = True
) -> Page[Member]:
    """Members of the principal's branch with their roles, by employee number unless ``page`` says
    otherwise; ``search`` matches an employee number's start or any part of a name, in either case;
    ``window``: with their memberships' kind, start and end (without, ``Member.kind`` is None)."""
    by.require(STAFF_READ)
    key = MEMBER_ORDERS[page.order_by or "employee_number"]
    stmt, params = repository.members_page_query(by.branch_id, search, window=window)
    return await keyset(session, stmt, key, page, _member, params)


async def count_members(session: AsyncSession, by: Principal, search: str | None = None) -> int:
    by.require(STAFF_READ)
    stmt, params = repository.members_page_query(by.branch_id, search)
    return await count(session, stmt, params)


async def personal_data_of(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> dict[uuid.UUID, PersonalData]:
    """Members' personal data, unmasked: the caller masks it unless ``by.sees_unmasked`` (and audits
    what it shows unmasked)."""
    if not by.can(STAFF_READ):
        return {}
    rows = await repository.personal_data(session, by.branch_id, ids)
    return {row.id: PersonalData(row.phone, row.id_number, row.address) for row in rows}


@dataclass(frozen=True)
class Overview:
    """A signed-in staff member as ``me`` shows them: who, and where they may act with which roles."""

    id: uuid.UUID
    employee_number: str
    display_name: str
    email: str | None
    memberships: list[tuple[list[str], Branch]]
    windows: dict[uuid.UUID, Window] = field(default_factory=dict)  # branch id → when the membership counts


async def staff_overview(platform_session: AsyncSession, staff_id: uuid.UUID) -> Overview:
    """A staff member and every branch they belong to (platform scope: across branches), in one
    statement; Unauthenticated when the staff member is unknown or disabled."""
    rows = await repository.overview(platform_session, staff_id)
    if not rows or rows[0].status is not StaffStatus.ACTIVE:
        raise Unauthenticated()
    first = rows[0]
    now = utcnow()
    placed = [row for row in rows if row.Branch is not None and (row.ends_at is None or row.ends_at > now)]
    return Overview(
        first.id,
        first.employee_number,
        first.display_name,
        first.email,
        [(list(row.roles), row.Branch) for row in placed],
        {row.Branch.id: Window(row.kind, row.starts_at, row.ends_at) for row in placed},
    )
