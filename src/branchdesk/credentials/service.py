"""Activation codes: how a person gets their first password, or a new one after an administrator's reset.

Nobody but the person ever knows their password. A new identity (a new branch's head, a new hire) gets
a single-use code that expires; it is stored only as its Argon2 hash and shown once, to the
administrator who issued it, and a notice that it was issued goes through the outbox to the delivery
plugged in (``credentials.notices``). The person redeems it with their employee number and a password
of their own, which must follow the rules (``tenants.passwords``). An administrator's reset issues a
new code, clears the password and ends every session. Every failure to redeem looks the same; the
administrator sees the code's status (:func:`activation_status`).

Identities belong to no branch: what happens to them is recorded in the head office's audit trail,
which owns identities (as sign-in does).
"""

from __future__ import annotations

import asyncio
import enum
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import across
from branchdesk.credentials import errors, repository
from branchdesk.credentials.models import ActivationCode
from branchdesk.credentials.notices import Notice
from branchdesk.platform import audit, outbox, throttle
from branchdesk.platform.audit import Author
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, Forbidden, NotFound, RateLimited
from branchdesk.platform.hashing import hash_secret, verify_secret
from branchdesk.platform.settings import Settings
from branchdesk.tenants import passwords, signin
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import Staff, StaffStatus
from branchdesk.tenants.permissions import STAFF_MANAGE

CREDENTIALS = Principal.system("credentials")
NOTICE_JOB = "deliver_activation_notice"
# No 0/O, 1/I/L: a code is read out or typed from a screen. 12 of 32 symbols: 60 bits.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_LENGTH = 12
SOURCE = "activation-source"


def new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _LENGTH, 4))


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def staff_author(staff: Staff) -> Author:
    return Author("staff", staff.id, f"{staff.employee_number} {staff.display_name}")


async def record(
    session: AsyncSession,
    actor: Author,
    action: str,
    staff: Staff | None,
    details: dict[str, object],
    *,
    notify: dict[str, str | bool] | None = None,
) -> None:
    """In the head office's trail (and, with ``notify``, a notice for the job worker to deliver)."""
    office = await tenants.head_office(session)
    if office is None:
        return
    async with across(session, CREDENTIALS, office.id):
        await audit.record(session, office.id, actor, action, "staff", staff.id if staff else None, details)
        if notify is not None:
            await outbox.enqueue(session, office.id, NOTICE_JOB, **notify)


@dataclass(frozen=True)
class Issued:
    """A code just issued: the only moment it exists in clear."""

    code: str
    expires_at: datetime
    staff: Staff


async def _issue(session: AsyncSession, by: Principal, staff: Staff, ttl_seconds: int, *, reset: bool) -> Issued:
    now = utcnow()
    await repository.supersede_codes(session, staff.id, now)
    code = new_code()
    issued = ActivationCode(
        staff_id=staff.id,
        code_hash=await asyncio.to_thread(hash_secret, _normalised(code)),  # Argon2: off the event loop
        expires_at=now + timedelta(seconds=ttl_seconds),
        issued_by=(by.author.label or by.subject)[:200],
    )
    session.add(issued)
    ended = 0
    if reset:
        staff.password_hash = None
        staff.failed_signins = 0
        staff.locked_until = None
        ended = await repository.end_sessions(session, staff.id, now)
    await session.flush()
    details = {"expires_at": issued.expires_at.isoformat(), "reset": reset, "sessions_ended": ended}
    notify: dict[str, str | bool] = {"staff_id": str(staff.id), "code_id": str(issued.id), "reset": reset}
    await record(session, by.author, "staff.activation_code_issued", staff, details, notify=notify)
    return Issued(code, issued.expires_at, staff)


async def _may_manage(session: AsyncSession, by: Principal, staff_id: uuid.UUID, *, any_branch: bool = False) -> bool:
    """By id (a ``StaffMember``), members of the active branch only, like every staff id; by employee
    number (``any_branch``), head office reaches every identity. A branch never resets someone who is
    also a member of the head office: the code shown would hand that account over."""
    if by.is_system or (any_branch and by.in_head_office):
        return True
    if await tenants.membership(session, by.branch_id, staff_id) is None:
        return False
    if by.in_head_office:
        return True
    office = await tenants.head_office(session)
    if office is None:
        return True
    async with across(session, CREDENTIALS, office.id):
        in_head_office = await tenants.membership(session, office.id, staff_id) is not None
    if in_head_office:
        raise Forbidden(STAFF_MANAGE)
    return True


async def _managed_staff(session: AsyncSession, by: Principal, staff_id: uuid.UUID) -> Staff:
    staff = await repository.staff_by_id(session, staff_id, for_update=True)
    if staff is None or not await _may_manage(session, by, staff.id):
        raise NotFound("Staff member", "员工", field="staffId")
    return staff


async def issue_activation_code(session: AsyncSession, by: Principal, staff_id: uuid.UUID, ttl_seconds: int) -> Issued:
    """An administrator's reset: a new code (the outstanding one is superseded), the password cleared
    and every session of the person ended."""
    by.require(STAFF_MANAGE)
    staff = await _managed_staff(session, by, staff_id)
    return await _issue(session, by, staff, ttl_seconds, reset=True)


async def issue_for_employee(session: AsyncSession, by: Principal, employee_number: str, ttl_seconds: int) -> Issued:
    """The same reset by employee number: head office for anyone, a branch for its own members (and the CLI)."""
    by.require(STAFF_MANAGE)
    staff = await repository.staff_by_employee_number(session, employee_number.strip())
    if staff is None or not await _may_manage(session, by, staff.id, any_branch=True):
        raise NotFound("Staff member", "员工", field="employeeNumber")
    return await _issue(session, by, staff, ttl_seconds, reset=True)


async def issue_first_code(session: AsyncSession, by: Principal, staff: Staff, ttl_seconds: int) -> Issued | None:
    """A new identity's first code (onboarding: the caller has authorised it), unless the person has set
    a password already; a code still outstanding is superseded by the new one."""
    if staff.password_hash is not None:
        return None
    return await _issue(session, by, staff, ttl_seconds, reset=False)


async def set_password(session: AsyncSession, by: Principal, employee_number: str, password: str) -> Staff:
    """An operator sets a password (the CLI, the demo): the rules apply, every session ends, and an
    outstanding activation code can no longer be redeemed."""
    staff = await signin.set_password(session, employee_number, password)
    await repository.supersede_codes(session, staff.id, utcnow())
    await record(session, by.author, "staff.password_set", staff, {})
    return staff


async def activate(
    session: AsyncSession,
    redis: Redis,
    settings: Settings,
    employee_number: str,
    code: str,
    new_password: str,
    source: str | None = None,
) -> Staff:
    """Redeem a code: the person sets their own password. Throttled like sign-in: per source address
    across accounts (RATE_LIMITED), and per typed employee number — past ``signin_max_failures``
    attempts in ``signin_lockout_seconds`` even the right code is refused. Every failure is the same
    ACTIVATION_FAILED, answered after a delay that grows with the failures."""
    if source is not None:
        retry_after = await throttle.attempt(
            redis, SOURCE, source, settings.signin_source_max_failures, settings.signin_source_window_seconds
        )
        if retry_after:
            raise RateLimited(retry_after)
    number = employee_number.strip()
    over_limit = await throttle.attempt(
        redis, "activation", number, settings.signin_max_failures, settings.signin_lockout_seconds
    )
    now = utcnow()
    staff = await repository.staff_by_employee_number(session, number)
    pending = await repository.outstanding_code(session, staff.id) if staff is not None else None
    usable = (
        pending is not None and pending.expires_at > now and staff is not None and staff.status is StaffStatus.ACTIVE
    )
    stored = pending.code_hash if usable and pending is not None else None
    verified = await asyncio.to_thread(verify_secret, stored, _normalised(code)) and stored is not None
    if not verified or over_limit:
        reason = "throttled" if over_limit else ("expired" if pending is not None and not usable else "code")
        actor = staff_author(staff) if staff is not None else Author.system("activation")
        await record(
            session, actor, "staff.activation_failed", staff, {"employee_number": number[:64], "reason": reason}
        )
        raise DomainError(
            errors.ACTIVATION_FAILED,
            field="code",
            keep_changes=True,  # the audit record of the attempt stays
            delay=settings.signin_failure_delay_seconds * (8 if over_limit else 1),
        )
    assert staff is not None and pending is not None
    await throttle.clear(redis, "activation", number)
    if source is not None:
        await throttle.refund(redis, SOURCE, source)
    staff.password_hash = await asyncio.to_thread(
        passwords.hash_checked,
        new_password,
        employee_number=staff.employee_number,
        display_name=staff.display_name,
        field="newPassword",
    )
    pending.used_at = now
    staff.failed_signins = 0
    staff.locked_until = None
    await repository.end_sessions(session, staff.id, now)
    await session.flush()
    await record(session, staff_author(staff), "staff.activated", staff, {})
    return staff


class CodeStatus(enum.StrEnum):
    NONE = "none"  # never issued
    PENDING = "pending"  # can be redeemed until it expires
    USED = "used"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # a newer code was issued, or a password was set another way


@dataclass(frozen=True)
class Activation:
    """What an administrator may know of a person's latest code: never the code."""

    staff_id: uuid.UUID
    status: CodeStatus
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    used_at: datetime | None = None
    issued_by: str | None = None
    has_password: bool = False


async def activation_status(session: AsyncSession, by: Principal, staff_id: uuid.UUID) -> Activation | None:
    """The person's latest code and its status; None (not found) for someone the caller may not manage."""
    by.require(STAFF_MANAGE)
    staff = await repository.staff_by_id(session, staff_id)
    if staff is None or not await _may_manage(session, by, staff.id):
        return None
    latest = await repository.latest_code(session, staff.id)
    has_password = staff.password_hash is not None
    if latest is None:
        return Activation(staff.id, CodeStatus.NONE, has_password=has_password)
    if latest.used_at is not None:
        status = CodeStatus.USED
    elif latest.superseded_at is not None:
        status = CodeStatus.SUPERSEDED
    elif latest.expires_at <= utcnow():
        status = CodeStatus.EXPIRED
    else:
        status = CodeStatus.PENDING
    return Activation(
        staff.id, status, latest.created_at, latest.expires_at, latest.used_at, latest.issued_by, has_password
    )


async def notice_for(session: AsyncSession, staff_id: uuid.UUID, code_id: uuid.UUID, reset: bool) -> Notice | None:
    """What the delivery is told of an issued code (the job worker); None when either is gone."""
    staff = await repository.staff_by_id(session, staff_id)
    code = await repository.code_by_id(session, code_id)
    if staff is None or code is None or code.staff_id != staff.id:
        return None
    return Notice(staff.id, staff.employee_number, staff.display_name, staff.email, staff.phone, code.expires_at, reset)
