"""Staff sign-in: Argon2 passwords, lockout after repeated failures, rotating refresh tokens.

A refresh token is usable once; using it again means it was stolen or replayed, so the whole family
of tokens that descends from that sign-in is revoked.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import across
from branchdesk.platform import audit, throttle
from branchdesk.platform.audit import Author
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, RateLimited
from branchdesk.platform.hashing import hash_secret, needs_rehash, verify_secret
from branchdesk.platform.settings import Settings
from branchdesk.platform.tokens import KeyRing
from branchdesk.tenants import errors, passwords, repository
from branchdesk.tenants.models import RefreshToken, Staff, StaffStatus

SIGN_IN = Principal.system("sign-in")
SOURCE = "signin-source"
USER_AGENT_MAX, ADDRESS_MAX = 300, 64
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Tokens:
    """What a sign-in or a refresh hands out."""

    access_token: str
    expires_in: int
    refresh_token: str
    staff: Staff


@dataclass(frozen=True)
class Client:
    """Where a sign-in or refresh came from, kept with its refresh token (``me.sessions`` shows it)."""

    address: str | None = None
    user_agent: str | None = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _failed(delay: float) -> DomainError:
    return DomainError(errors.SIGNIN_FAILED, keep_changes=True, delay=delay)


async def sign_in(
    session: AsyncSession,
    keys: KeyRing,
    settings: Settings,
    redis: Redis,
    employee_number: str,
    password: str,
    source: str | None = None,
    user_agent: str | None = None,
) -> Tokens:
    """Sign a staff member in. Every failure, whatever its cause, is the same error; the delay grows
    with the failures counted for the typed employee number, whether or not it exists. The delay is
    served after the transaction ends, so a guesser holds neither a row lock nor a connection.

    ``source`` (the caller's address) has its own failure count across every account it names: a
    source spraying many employee numbers is refused (RateLimited) before any password is checked."""
    if source is not None:
        retry_after = await throttle.attempt(
            redis, SOURCE, source, settings.signin_source_max_failures, settings.signin_source_window_seconds
        )
        if retry_after:
            log.info("sign-in refused: too many failures from the source", source=source)
            raise RateLimited(retry_after)
    staff = await repository.staff_by_employee_number(session, employee_number.strip())
    usable = staff is not None and staff.status is StaffStatus.ACTIVE and staff.password_hash is not None
    # Argon2 is deliberately slow: keep it off the event loop.
    verified = await asyncio.to_thread(verify_secret, staff.password_hash if usable else None, password) and usable  # type: ignore[union-attr]
    if staff is not None:
        await session.refresh(staff, with_for_update=True)  # counters change under concurrent attempts
    now = utcnow()
    locked = staff is not None and staff.locked_until is not None and staff.locked_until > now
    if not verified or locked:
        action = "staff.signin_failed"
        if staff is not None and not locked:
            staff.failed_signins += 1
            if staff.failed_signins >= settings.signin_max_failures:
                staff.locked_until = now + timedelta(seconds=settings.signin_lockout_seconds)
                staff.failed_signins = 0
                action = "staff.locked"
        await _audit(session, action, employee_number, staff, reason="locked" if locked else "credentials")
        failures = await throttle.count_failure(redis, "signin", employee_number, settings.signin_lockout_seconds)
        raise _failed(settings.signin_failure_delay_seconds * min(failures, 8))
    assert staff is not None
    await throttle.clear(redis, "signin", employee_number)
    if source is not None:
        await throttle.refund(redis, SOURCE, source)  # a branch's staff sign in from one address
    staff.failed_signins = 0
    staff.locked_until = None
    await _audit(session, "staff.signed_in", employee_number, staff)
    if needs_rehash(staff.password_hash):  # type: ignore[arg-type]
        staff.password_hash = hash_secret(password)
    expires_at = now + timedelta(seconds=settings.refresh_token_ttl_seconds)
    return await _issue(
        session, keys, staff, family_id=uuid.uuid4(), expires_at=expires_at, client=Client(source, user_agent)
    )


async def _issue(
    session: AsyncSession,
    keys: KeyRing,
    staff: Staff,
    *,
    family_id: uuid.UUID,
    expires_at: datetime,
    client: Client | None = None,
) -> Tokens:
    """New tokens of a family; the family's expiry is fixed at sign-in, so refreshing never extends it.
    The access token names its family (``sid``): the session it belongs to."""
    refresh = secrets.token_urlsafe(32)
    client = client or Client()
    session.add(
        RefreshToken(
            family_id=family_id,
            staff_id=staff.id,
            token_hash=_token_hash(refresh),
            issued_at=utcnow(),
            expires_at=expires_at,
            user_agent=client.user_agent[:USER_AGENT_MAX] if client.user_agent else None,
            address=client.address[:ADDRESS_MAX] if client.address else None,
        )
    )
    await session.flush()
    access, expires_in = keys.issue_access_token(staff.id, session_id=family_id, employee_number=staff.employee_number)
    return Tokens(access_token=access, expires_in=expires_in, refresh_token=refresh, staff=staff)


async def refresh(
    session: AsyncSession, keys: KeyRing, settings: Settings, refresh_token: str, client: Client | None = None
) -> Tokens:
    """Rotate: the presented token is spent and a new one of the same family is issued."""
    token = await repository.refresh_token_by_hash(session, _token_hash(refresh_token))
    now = utcnow()
    if token is None:
        raise DomainError(errors.REFRESH_INVALID, field="refreshToken")
    if token.used_at is not None:
        # Reuse of a spent token (expired or not): whoever holds the family, one of them is not its owner.
        await repository.revoke_family(session, token.family_id)
        await _audit(session, "staff.refresh_token_reused", None, await repository.staff_by_id(session, token.staff_id))
        raise DomainError(errors.REFRESH_INVALID, field="refreshToken", keep_changes=True)
    if token.revoked_at is not None or token.expires_at <= now:
        raise DomainError(errors.REFRESH_INVALID, field="refreshToken")
    staff = await repository.staff_by_id(session, token.staff_id)
    if staff is None or staff.status is not StaffStatus.ACTIVE:
        raise DomainError(errors.REFRESH_INVALID, field="refreshToken")
    token.used_at = now
    await _audit(session, "staff.session_refreshed", None, staff)
    return await _issue(session, keys, staff, family_id=token.family_id, expires_at=token.expires_at, client=client)


async def sign_out(session: AsyncSession, refresh_token: str) -> None:
    token = await repository.refresh_token_by_hash(session, _token_hash(refresh_token))
    if token is not None:
        await repository.revoke_family(session, token.family_id)
        await _audit(session, "staff.signed_out", None, await repository.staff_by_id(session, token.staff_id))


async def set_password(session: AsyncSession, employee_number: str, password: str) -> Staff:
    staff = await repository.staff_by_employee_number(session, employee_number, for_update=True)
    if staff is None:
        raise DomainError(errors.SIGNIN_FAILED, field="employeeNumber")
    staff.password_hash = passwords.hash_checked(
        password, employee_number=staff.employee_number, display_name=staff.display_name
    )
    staff.failed_signins = 0
    staff.locked_until = None
    await repository.revoke_sessions_of(session, staff.id)  # a new password ends every existing session
    await session.flush()
    return staff


async def _audit(session: AsyncSession, action: str, typed: str | None, staff: Staff | None, **details: str) -> None:
    """Sign-in events belong to no branch: they go to the head office's trail, which owns identities."""
    office = await repository.head_office(session)
    if office is None:
        return
    actor = (
        Author("staff", staff.id, f"{staff.employee_number} {staff.display_name}")
        if staff
        else Author.system("sign-in")
    )
    if typed is not None:
        details = {"employee_number": typed.strip()[:64], **details}
    async with across(session, SIGN_IN, office.id):
        await audit.record(session, office.id, actor, action, "staff", staff.id if staff else None, details)
