"""What a signed-in person does to their own credentials: change the password, see and end their
sessions, keep their email and phone up to date. No branch is involved (identities are platform-wide);
every change goes to the head office's trail, which owns identities.

A session is a sign-in: its refresh-token family. The access token names it (``sid``), so "the other
sessions" are known. Ending a session revokes its refresh tokens at once; access tokens already issued
stay valid until they expire (README, "Security").
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.credentials import errors, repository
from branchdesk.credentials.service import record, staff_author
from branchdesk.platform import throttle
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound, RateLimited, Unauthenticated
from branchdesk.platform.hashing import verify_secret
from branchdesk.platform.settings import Settings
from branchdesk.tenants import passwords
from branchdesk.tenants.errors import INVALID_EMAIL
from branchdesk.tenants.models import Staff, StaffStatus

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class Caller:
    """The signed-in person and the session their access token belongs to (None: a token without one)."""

    staff_id: uuid.UUID
    session_id: uuid.UUID | None


async def _me(session: AsyncSession, me: Caller) -> Staff:
    staff = await repository.staff_by_id(session, me.staff_id, for_update=True)
    if staff is None or staff.status is not StaffStatus.ACTIVE:
        raise Unauthenticated()
    return staff


async def change_password(
    session: AsyncSession, redis: Redis, settings: Settings, me: Caller, current: str, new: str
) -> int:
    """A new password, given the current one; every other session ends, this one goes on. Returns how
    many sessions ended. Wrong current passwords count like failed sign-ins (a stolen access token must
    not become a way to guess the password): past ``signin_max_failures`` RATE_LIMITED."""
    staff = await _me(session, me)
    retry_after = await throttle.attempt(
        redis, "password-change", str(staff.id), settings.signin_max_failures, settings.signin_lockout_seconds
    )
    if retry_after:
        raise RateLimited(retry_after)
    if not await asyncio.to_thread(verify_secret, staff.password_hash, current):
        raise DomainError(
            errors.PASSWORD_INCORRECT, field="currentPassword", delay=settings.signin_failure_delay_seconds
        )
    await throttle.clear(redis, "password-change", str(staff.id))
    if new == current:
        raise DomainError(errors.PASSWORD_UNCHANGED, field="newPassword")
    staff.password_hash = await asyncio.to_thread(
        passwords.hash_checked,
        new,
        employee_number=staff.employee_number,
        display_name=staff.display_name,
        field="newPassword",
    )
    now = utcnow()
    ended = await repository.end_sessions(session, staff.id, now, keep=me.session_id)
    await repository.supersede_codes(session, staff.id, now)
    await session.flush()
    await record(session, staff_author(staff), "staff.password_changed", staff, {"sessions_ended": ended})
    return ended


@dataclass(frozen=True)
class SignedInSession:
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None
    address: str | None
    current: bool


async def my_sessions(session: AsyncSession, me: Caller) -> list[SignedInSession]:
    """The person's active sessions, the most recently used first."""
    rows = await repository.active_sessions(session, me.staff_id, utcnow())
    return [
        SignedInSession(
            row.family_id,
            row.created_at,
            row.last_used_at,
            row.expires_at,
            row.user_agent,
            row.address,
            row.family_id == me.session_id,
        )
        for row in rows
    ]


async def end_session(session: AsyncSession, me: Caller, session_id: uuid.UUID) -> None:
    """End one of the person's own sessions (the current one too: that is signing out). Anyone else's
    session, or one already ended, is not found."""
    staff = await _me(session, me)
    if not await repository.end_sessions(session, staff.id, utcnow(), only=session_id):
        raise NotFound("Session", "会话", field="id")
    await record(session, staff_author(staff), "staff.session_ended", staff, {"session": str(session_id)})


async def end_other_sessions(session: AsyncSession, me: Caller) -> int:
    """End every session of the person but the current one; returns how many ended."""
    staff = await _me(session, me)
    ended = await repository.end_sessions(session, staff.id, utcnow(), keep=me.session_id)
    await record(session, staff_author(staff), "staff.other_sessions_ended", staff, {"sessions_ended": ended})
    return ended


def _phone(value: str) -> str:
    """Spaces and hyphens dropped: 138 1234 5678 is 13812345678."""
    return re.sub(r"[\s-]", "", value)


async def update_my_contact(session: AsyncSession, me: Caller, email: str | None, phone: str | None) -> Staff:
    """The person's own email and phone: None leaves one as it is, an empty string removes it. Both are
    checked before either is written; the audit record names the fields changed, not their values
    (the phone is personal data)."""
    staff = await _me(session, me)
    problems: list[DomainError] = []
    new_email = email.strip() if email is not None else None
    new_phone = _phone(phone) if phone is not None else None
    if new_email and not _EMAIL.match(new_email):
        problems.append(DomainError(INVALID_EMAIL, field="email"))
    if new_phone and not (_MAINLAND_MOBILE.match(new_phone) or _E164.match(new_phone)):
        problems.append(DomainError(errors.INVALID_PHONE, field="phone"))
    if problems:
        raise InvalidInput(problems)
    changed = []
    if new_email is not None and (new_email or None) != staff.email:
        staff.email = new_email or None
        changed.append("email")
    if new_phone is not None and (new_phone or None) != staff.phone:
        staff.phone = new_phone or None
        changed.append("phone")
    if changed:
        await session.flush()
        await record(session, staff_author(staff), "staff.contact_updated", staff, {"fields": changed})
    return staff
