"""Joiners, movers and leavers: create a staff identity, give it memberships (regular, or a cover that
starts and ends by itself on its dates in the branch's time zone), transfer, remove, deactivate and
reactivate, and read the membership history.

Services take ``(session, by, ...)`` like every domain's, so the API, the CLI and the HR import call the
same rules. Head office may act on any branch (writing there through ``access.unit_of_work.across``); a
branch head only on their own, where any other branch is "not found". Roles go through ``rbac`` so that
the policy history, the audit trail and the policy caches follow every change.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import across
from branchdesk.credentials import service as credentials
from branchdesk.platform import audit, outbox
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, Forbidden, InvalidInput, NotFound
from branchdesk.platform.masking import mask_phone
from branchdesk.rbac import service as rbac
from branchdesk.rbac.permissions import BRANCH_HEAD
from branchdesk.service_accounts import service as service_accounts
from branchdesk.service_accounts.models import ServiceAccount
from branchdesk.staffing import errors
from branchdesk.tenants import errors as tenant_errors
from branchdesk.tenants import service as tenants
from branchdesk.tenants.contact import contact_problems, normal_phone
from branchdesk.tenants.models import (
    Branch,
    BranchLevel,
    Membership,
    MembershipKind,
    MembershipPeriod,
    Staff,
    StaffStatus,
)
from branchdesk.tenants.permissions import STAFF_MANAGE, STAFF_READ

_EMPLOYEE_NUMBER = re.compile(r"^[0-9A-Za-z]{3,32}$")

# Jobs told through the outbox: what follows a new identity (activation) and a leaver (open work).
STAFF_CREATED = "staff_created"
STAFF_DEACTIVATED = "staff_deactivated"


@dataclass(frozen=True)
class NewStaff:
    employee_number: str
    display_name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Cover:
    """A temporary membership from the start of ``starts_on`` to the end of ``ends_on``, local dates."""

    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Placed:
    """A membership as a change left it, with whom and where."""

    membership: Membership
    staff: Staff
    branch: Branch


@dataclass(frozen=True)
class Deactivated:
    staff: Staff
    branches: list[Branch]  # the memberships that ended
    service_accounts: list[tuple[str, ServiceAccount]]  # (branch code, account): still active, to be reassigned


# --- who and where -------------------------------------------------------------------------------


async def _branch(session: AsyncSession, by: Principal, code: str | None, field: str = "branchCode") -> Branch:
    """The branch named by ``code`` (none: the caller's own); a branch the caller may not act on is not found."""
    if code is None:
        if by.branch is None:
            raise NotFound("Branch", "网点", field=field)
        return await tenants.branch_by_id(session, by.branch_id)
    found = await tenants.find_branch(session, code.strip())
    if found is None or not (by.is_system or by.in_head_office or found.id == by.branch_id):
        raise NotFound("Branch", "网点", field=field)
    return found


async def _staff(session: AsyncSession, employee_number: str, field: str = "employeeNumber") -> Staff:
    staff = await tenants.staff_by_employee_number(session, employee_number.strip())
    if staff is None:
        raise NotFound("Staff member", "员工", field=field)
    return staff


@asynccontextmanager
async def _in(session: AsyncSession, by: Principal, branch: Branch) -> AsyncIterator[Principal]:
    """Act in ``branch``: the caller's own as themselves, another (head office, the system) across."""
    if not by.is_system and by.branch is not None and branch.id == by.branch_id:
        yield by
        return
    async with across(session, by, branch.id) as there:
        yield there


@asynccontextmanager
async def _home(session: AsyncSession, by: Principal) -> AsyncIterator[uuid.UUID]:
    """The branch whose trail records a change that belongs to no branch: the caller's, else head office."""
    if by.branch is not None:
        yield by.branch_id
        return
    office = await tenants.head_office(session)
    if office is None:
        raise NotFound("Branch", "网点", field="branchCode")
    async with across(session, by, office.id):
        yield office.id


async def _refuse_last_head(session: AsyncSession, branch: Branch, staff: Staff, membership: Membership) -> None:
    """A branch keeps a branch head: the last one cannot leave, be moved or removed without a successor."""
    if branch.level is BranchLevel.HEAD_OFFICE or BRANCH_HEAD not in membership.roles:
        return
    if not membership.current(utcnow()):
        return
    if not set(await tenants.holders_of(session, branch.id, BRANCH_HEAD)) - {staff.id}:
        raise DomainError(
            errors.LAST_BRANCH_HEAD, field="employeeNumber", employee_number=staff.employee_number, code=branch.code
        )


def _roles(roles: list[str]) -> list[str]:
    wanted = sorted({r.strip() for r in roles if r.strip()})
    if not wanted:
        raise DomainError(errors.ROLES_REQUIRED, field="roles")
    return wanted


def cover_window(branch: Branch, cover: Cover, now: datetime | None = None) -> tenants.Window:
    """The moments a cover starts and ends: midnight at the start of its first day and after its last
    day, in the branch's time zone."""
    zone = zoneinfo.ZoneInfo(branch.timezone)
    today = (now or utcnow()).astimezone(zone).date()
    if cover.ends_on < cover.starts_on:
        raise DomainError(errors.COVER_ENDS_BEFORE_START, field="cover.endsOn")
    if cover.starts_on < today:
        raise DomainError(errors.COVER_IN_PAST, field="cover.startsOn", today=today.isoformat())
    starts = datetime.combine(cover.starts_on, time(0), zone)
    ends = datetime.combine(cover.ends_on + timedelta(days=1), time(0), zone)
    return tenants.Window(MembershipKind.COVER, starts, ends)


def _active(staff: Staff) -> None:
    if staff.status is not StaffStatus.ACTIVE:
        raise DomainError(errors.STAFF_DEACTIVATED, field="employeeNumber", employee_number=staff.employee_number)


def _window_details(membership: Membership) -> dict[str, object]:
    return {
        "kind": membership.kind.value,
        "roles": sorted(membership.roles),
        "starts_at": membership.starts_at.isoformat(),
        "ends_at": membership.ends_at.isoformat() if membership.ends_at else None,
    }


# --- joiners -------------------------------------------------------------------------------------


def _validate(new: NewStaff) -> list[DomainError]:
    problems = []
    if not _EMPLOYEE_NUMBER.match(new.employee_number):
        problems.append(DomainError(tenant_errors.INVALID_EMPLOYEE_NUMBER, field="employeeNumber"))
    if not 1 <= len(new.display_name.strip()) <= 100:
        problems.append(DomainError(tenant_errors.INVALID_NAME, field="displayName"))
    return problems + contact_problems(new.email, new.phone)


async def create_staff(session: AsyncSession, by: Principal, new: NewStaff) -> Staff:
    """A new staff identity, active and without a password (``hire`` also issues its activation code);
    EMPLOYEE_NUMBER_TAKEN when the number is in use. Domains hear of it through the ``staff_created`` job."""
    by.require(STAFF_MANAGE)
    phone = normal_phone(new.phone) if new.phone else None
    new = NewStaff(new.employee_number.strip(), new.display_name.strip(), new.email or None, phone)
    problems = _validate(new)
    if problems:
        raise InvalidInput(problems)
    staff = await tenants.add_staff(session, new.employee_number, new.display_name, new.email, new.phone)
    if staff is None:
        raise DomainError(errors.EMPLOYEE_NUMBER_TAKEN, field="employeeNumber", employee_number=new.employee_number)
    async with _home(session, by) as branch_id:
        details = {
            "employee_number": staff.employee_number,
            "display_name": staff.display_name,
            "email": staff.email,
            "phone": mask_phone(staff.phone),  # personal data stays out of the trail
        }
        await audit.record(session, branch_id, by.author, "staff.created", "staff", staff.id, details)
        await outbox.enqueue(session, branch_id, STAFF_CREATED, staff_id=str(staff.id))
    return staff


@dataclass(frozen=True)
class Hired:
    staff: Staff
    activation: credentials.Issued | None  # the first activation code, shown once to the administrator


async def hire(session: AsyncSession, by: Principal, new: NewStaff, activation_ttl_seconds: int) -> Hired:
    """A new identity and its first single-use activation code, with which the person sets their own
    password (nobody else ever knows it)."""
    staff = await create_staff(session, by, new)
    return Hired(staff, await credentials.issue_first_code(session, by, staff, activation_ttl_seconds))


async def add_membership(
    session: AsyncSession,
    by: Principal,
    employee_number: str,
    roles: list[str],
    *,
    branch_code: str | None = None,
    cover: Cover | None = None,
    reason: str | None = None,
) -> Placed:
    """Make a staff member a member of a branch (the caller's unless ``branch_code`` names another) with
    ``roles``: from now on, or for the ``cover`` period only."""
    by.require(STAFF_MANAGE)
    wanted = _roles(roles)
    branch = await _branch(session, by, branch_code)
    staff = await _staff(session, employee_number)
    _active(staff)
    window = cover_window(branch, cover) if cover is not None else None
    async with _in(session, by, branch) as there:
        if await tenants.membership(session, branch.id, staff.id) is not None:
            raise DomainError(
                errors.ALREADY_A_MEMBER, field="employeeNumber", employee_number=staff.employee_number, code=branch.code
            )
        membership = await rbac.set_roles(session, there, staff.id, wanted, reason, window)
        details = {"employee_number": staff.employee_number, **_window_details(membership), "reason": reason}
        await audit.record(session, branch.id, by.author, "staff.membership_added", "staff", staff.id, details)
    return Placed(membership, staff, branch)


# --- movers --------------------------------------------------------------------------------------


async def transfer(
    session: AsyncSession,
    by: Principal,
    employee_number: str,
    from_code: str,
    to_code: str,
    *,
    roles: list[str] | None = None,
    reason: str | None = None,
) -> Placed:
    """In one operation, end the staff member's membership of one branch and start one in another (with
    the same roles unless ``roles`` are given); both periods stay in the history."""
    by.require(STAFF_MANAGE)
    source = await _branch(session, by, from_code, "fromBranchCode")
    if to_code.strip() == source.code:
        raise DomainError(errors.SAME_BRANCH_TRANSFER, field="toBranchCode", code=source.code)
    target = await _branch(session, by, to_code, "toBranchCode")
    staff = await _staff(session, employee_number)
    _active(staff)
    async with _in(session, by, source) as there:
        leaving = await tenants.membership(session, source.id, staff.id)
        if leaving is None:
            raise NotFound("Staff member", "员工", field="employeeNumber")
        wanted = _roles(roles) if roles is not None else sorted(leaving.roles)
        await _refuse_last_head(session, source, staff, leaving)
        await rbac.remove_roles(session, there, staff.id, reason or f"transfer to {target.code}")
        details = {"employee_number": staff.employee_number, "to": target.code, "reason": reason}
        await audit.record(session, source.id, by.author, "staff.transferred_out", "staff", staff.id, details)
    async with _in(session, by, target) as there:
        if await tenants.membership(session, target.id, staff.id) is not None:
            raise DomainError(
                errors.ALREADY_A_MEMBER, field="employeeNumber", employee_number=staff.employee_number, code=target.code
            )
        joined = await rbac.set_roles(session, there, staff.id, wanted, reason or f"transfer from {source.code}")
        joined_details = {"employee_number": staff.employee_number, "from": source.code} | _window_details(joined)
        await audit.record(session, target.id, by.author, "staff.transferred_in", "staff", staff.id, joined_details)
    return Placed(joined, staff, target)


async def remove_membership(
    session: AsyncSession,
    by: Principal,
    employee_number: str,
    *,
    branch_code: str | None = None,
    reason: str | None = None,
) -> Branch:
    """End a staff member's membership of a branch now (a cover too, early); its history stays."""
    by.require(STAFF_MANAGE)
    branch = await _branch(session, by, branch_code)
    staff = await _staff(session, employee_number)
    async with _in(session, by, branch) as there:
        membership = await tenants.membership(session, branch.id, staff.id)
        if membership is None:
            raise NotFound("Staff member", "员工", field="employeeNumber")
        await _refuse_last_head(session, branch, staff, membership)
        await rbac.remove_roles(session, there, staff.id, reason)
        details = {"employee_number": staff.employee_number, "reason": reason}
        await audit.record(session, branch.id, by.author, "staff.membership_removed", "staff", staff.id, details)
    return branch


# --- leavers -------------------------------------------------------------------------------------


async def _placements_in_reach(
    session: AsyncSession, by: Principal, platform_session: AsyncSession, staff: Staff
) -> list[tenants.Placement]:
    """The staff member's memberships, if the caller may act on all of them: head office on anyone's; a
    branch head on those of a member of their branch only (no membership there: not found)."""
    placed = await tenants.placements(platform_session, staff.id)
    if by.is_system or by.in_head_office:
        return placed
    if not any(p.branch.id == by.branch_id for p in placed):
        raise NotFound("Staff member", "员工", field="employeeNumber")
    if any(p.branch.id != by.branch_id for p in placed):
        raise Forbidden("head office")  # they are also placed elsewhere: head office decides
    return placed


async def deactivate(
    session: AsyncSession,
    by: Principal,
    platform_session: AsyncSession,
    employee_number: str,
    reason: str | None = None,
) -> Deactivated:
    """The staff member leaves the bank: disabled, every refresh token revoked and every open WebSocket
    closed at once, every membership ended (history kept), each branch told through the outbox
    (``staff_deactivated``) so its open work can be reassigned. Lists the active service accounts they
    created, for reassignment. Reads their memberships across branches through ``platform_session``."""
    by.require(STAFF_MANAGE)
    staff = await _staff(session, employee_number)
    placed = await _placements_in_reach(session, by, platform_session, staff)
    created = await service_accounts.created_by(platform_session, staff.id)
    codes = await tenants.branch_codes(session, sorted({account.tenant_id for account in created}))
    accounts = [(codes[account.tenant_id], account) for account in created]
    if staff.status is not StaffStatus.ACTIVE:
        return Deactivated(staff, [], accounts)
    ended: list[Branch] = []
    for placement in placed:
        async with _in(session, by, placement.branch) as there:
            membership = await tenants.membership(session, placement.branch.id, staff.id)
            if membership is None:
                continue
            await _refuse_last_head(session, placement.branch, staff, membership)
            await rbac.remove_roles(session, there, staff.id, reason or "left the bank")
            details = {"employee_number": staff.employee_number, "reason": reason}
            await audit.record(session, placement.branch.id, by.author, "staff.deactivated", "staff", staff.id, details)
            await outbox.enqueue(session, placement.branch.id, STAFF_DEACTIVATED, staff_id=str(staff.id))
            ended.append(placement.branch)
    if not ended:
        async with _home(session, by) as branch_id:
            details = {"employee_number": staff.employee_number, "reason": reason}
            await audit.record(session, branch_id, by.author, "staff.deactivated", "staff", staff.id, details)
            await outbox.enqueue(session, branch_id, STAFF_DEACTIVATED, staff_id=str(staff.id))
    staff.status = StaffStatus.DISABLED
    await session.flush()
    await credentials.end_sessions(session, staff.id, utcnow())
    return Deactivated(staff, ended, accounts)


async def reactivate(session: AsyncSession, by: Principal, employee_number: str, reason: str | None = None) -> Staff:
    """A staff member who left comes back: active again, with no membership until one is added. A branch
    head may reactivate only someone who was a member of their branch."""
    by.require(STAFF_MANAGE)
    staff = await _staff(session, employee_number)
    was_here = (
        by.is_system or by.in_head_office or await tenants.membership_periods(session, by.branch_id, staff_id=staff.id)
    )
    if not was_here:
        raise NotFound("Staff member", "员工", field="employeeNumber")
    if staff.status is StaffStatus.ACTIVE:
        return staff
    staff.status = StaffStatus.ACTIVE
    staff.failed_signins, staff.locked_until = 0, None
    await session.flush()
    async with _home(session, by) as branch_id:
        details = {"employee_number": staff.employee_number, "reason": reason}
        await audit.record(session, branch_id, by.author, "staff.reactivated", "staff", staff.id, details)
    return staff


# --- history -------------------------------------------------------------------------------------


async def membership_history(
    session: AsyncSession, by: Principal, employee_number: str | None = None, at: datetime | None = None
) -> list[tuple[MembershipPeriod, Staff]]:
    """The caller's branch's membership periods, oldest first, with whose they are: one member's (someone
    who never was a member has none), or those that counted at ``at`` ("who was a member, with which
    roles, on D"), or both; HISTORY_FILTER_REQUIRED with neither (a branch's whole history is long)."""
    by.require(STAFF_READ)
    if employee_number is None and at is None:
        raise DomainError(errors.HISTORY_FILTER_REQUIRED, field="employeeNumber")
    if employee_number is not None:
        staff = await tenants.staff_by_employee_number(session, employee_number.strip(), lock=False)
        if staff is None:
            return []
        periods = await tenants.membership_periods(session, by.branch_id, staff_id=staff.id, at=at)
        return [(period, staff) for period in periods]
    periods = await tenants.membership_periods(session, by.branch_id, at=at)
    whose = {s.id: s for s in await tenants.staff_by_ids(session, sorted({p.staff_id for p in periods}))}
    return [(period, whose[period.staff_id]) for period in periods]
