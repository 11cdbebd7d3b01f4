"""Second factors (TOTP, RFC 6238) for staff sign-in: enrolment, the sign-in's second step, recovery
codes, the roles head office requires it of, and an administrator's reset.

The sign-in flow: ``signIn`` verifies the password, then :func:`sign_in_step` decides. Someone with a
second factor gets a challenge (opaque, single use, five minutes, bound to them) and no tokens; the
client finishes with :func:`complete_sign_in` and a TOTP code or a recovery code. Someone whose roles
require a second factor but who has none gets an *enrolment* challenge: it is good for nothing but
:func:`begin_enrolment` and :func:`confirm_enrolment`, whose first valid code completes the sign-in.
A wrong code counts toward the sign-in lockout like a wrong password.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from pyotp.utils import strings_equal
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.registry import ROLES
from branchdesk.access.unit_of_work import across
from branchdesk.credentials import service as credentials
from branchdesk.platform import audit
from branchdesk.platform.audit import Author
from branchdesk.platform.clock import utcnow
from branchdesk.platform.crypto import DATA_KEYS, DataKeyRing, data_keys, key_id_of
from branchdesk.platform.database import Database
from branchdesk.platform.errors import DomainError, ErrorCode, NotFound
from branchdesk.platform.hashing import hash_secret, verify_secret
from branchdesk.platform.settings import Settings
from branchdesk.platform.tokens import KeyRing
from branchdesk.second_factor import errors, repository
from branchdesk.second_factor.models import SecondFactor, SecondFactorPolicyChange, SignInChallenge
from branchdesk.second_factor.permissions import SECOND_FACTOR_POLICY
from branchdesk.tenants import service as tenants
from branchdesk.tenants import signin
from branchdesk.tenants.models import Staff
from branchdesk.tenants.permissions import STAFF_MANAGE

ISSUER = "Branchdesk"
# Head office's rule until it sets its own: head-office roles, compliance officers and branch heads.
DEFAULT_ROLES = ("auditor", "branch_head", "compliance_officer", "head_office_admin")
CHALLENGE_SECONDS = 300
RECOVERY_CODE_COUNT = 10
# A code of the step before or after the current one is accepted too: phones' clocks drift.
VALID_WINDOW = 1
CODE = "code"  # a challenge that a code completes
ENROL = "enrol"  # a challenge good only for enrolment
# Recovery codes: three groups of four, from letters and digits that cannot be misread (60 bits).
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_TOTP_CODE = re.compile(r"^\d{6}$")
_RECOVERY_CODE = re.compile(rf"^[{_ALPHABET}]{{12}}$")
SYSTEM = Principal.system("second-factor")


@dataclass(frozen=True)
class Enrolment:
    """What an authenticator app needs; shown once, when enrolment begins."""

    provisioning_uri: str
    qr_code_svg: str


@dataclass(frozen=True)
class Confirmed:
    """An activated second factor: recovery codes (shown once), and tokens when it finished a sign-in."""

    recovery_codes: list[str]
    tokens: signin.Tokens | None


@dataclass(frozen=True)
class Status:
    enrolled: bool
    required: bool
    recovery_codes_left: int


# --- the head office's rule ----------------------------------------------------------------------


async def required_roles(session: AsyncSession) -> list[str]:
    """The roles that must use a second factor (head office's latest choice, else the default)."""
    policy = await repository.current_policy(session)
    return sorted(policy.roles) if policy is not None else list(DEFAULT_ROLES)


async def set_required_roles(session: AsyncSession, by: Principal, roles: Iterable[str]) -> list[str]:
    """Head office names the roles that must use a second factor; audited in its trail."""
    by.require(SECOND_FACTOR_POLICY)
    wanted = sorted({role.strip() for role in roles})
    unknown = [role for role in wanted if role not in ROLES]
    if unknown:
        raise DomainError(errors.UNKNOWN_ROLE, field="roles", role=unknown[0])
    before = await required_roles(session)
    if wanted == before:
        return wanted
    author = by.author
    session.add(
        SecondFactorPolicyChange(changed_at=utcnow(), actor_label=author.label, actor_id=author.id, roles=wanted)
    )
    await session.flush()
    office = await tenants.head_office(session)
    if office is not None:
        async with across(session, by, office.id):
            details = {"before": before, "after": wanted}
            await audit.record(session, office.id, author, "second_factor.policy_changed", "policy", None, details)
    return wanted


async def roles_anywhere(db: Database, staff_id: uuid.UUID) -> set[str]:
    """Every role the staff member holds, in any branch (read in platform scope)."""
    async with db.platform_session() as platform:
        return await repository.roles_anywhere(platform, staff_id)


async def status(session: AsyncSession, settings: Settings, staff_id: uuid.UUID, held: set[str]) -> Status:
    """``me``: whether a second factor is set up, and whether ``held`` roles require one."""
    enrolled = await repository.is_enrolled(session, staff_id)
    left = await repository.recovery_codes_left(session, staff_id) if enrolled else 0
    required = settings.second_factor_enforced and bool(held & set(await required_roles(session)))
    return Status(enrolled=enrolled, required=required, recovery_codes_left=left)


# --- the sign-in's second step -------------------------------------------------------------------


def sign_in_step(settings: Settings, db: Database) -> signin.SecondStep:
    """What ``signIn`` asks once the password is verified: a challenge, or None (the password suffices)."""

    async def step(session: AsyncSession, staff: Staff) -> signin.PendingSignIn | None:
        if await repository.is_enrolled(session, staff.id):
            return await _challenge(session, staff.id, CODE)
        if not settings.second_factor_enforced:
            return None
        if await roles_anywhere(db, staff.id) & set(await required_roles(session)):
            return await _challenge(session, staff.id, ENROL)
        return None

    return step


async def _challenge(session: AsyncSession, staff_id: uuid.UUID, purpose: str) -> signin.PendingSignIn:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(seconds=CHALLENGE_SECONDS)
    session.add(SignInChallenge(staff_id=staff_id, token_hash=_digest(token), purpose=purpose, expires_at=expires_at))
    await session.flush()
    return signin.PendingSignIn(challenge=token, expires_in=CHALLENGE_SECONDS, enrolment_required=purpose == ENROL)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _open_challenge(session: AsyncSession, challenge: str) -> tuple[SignInChallenge, Staff]:
    """The challenge, still open, and the staff member it is for (locked); every failure is the same."""
    found = await repository.challenge_by_hash(session, _digest(challenge.strip()))
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        raise DomainError(errors.CHALLENGE_EXPIRED, field="challenge")
    staff = await signin.signing_in(session, found.staff_id)
    if staff is None:  # disabled or locked out since the password was checked
        raise DomainError(errors.CHALLENGE_EXPIRED, field="challenge")
    return found, staff


async def complete_sign_in(
    session: AsyncSession,
    keys: KeyRing,
    settings: Settings,
    redis: Redis,
    challenge: str,
    code: str,
    client: signin.Client | None = None,
) -> signin.Tokens:
    """Finish a sign-in with a TOTP code or a recovery code: tokens, or a refusal that counts."""
    found, staff = await _open_challenge(session, challenge)
    if found.purpose == ENROL:
        raise DomainError(errors.ENROLMENT_REQUIRED, field="challenge")
    factor = await repository.factor_of(session, staff.id, for_update=True)
    if factor is None or factor.enrolled_at is None:  # reset by an administrator meanwhile
        raise DomainError(errors.CHALLENGE_EXPIRED, field="challenge")
    how = await _check(session, settings, factor, code, recovery=True)
    if isinstance(how, ErrorCode):
        raise await signin.second_step_failed(session, settings, redis, staff, how, "code")
    found.used_at = utcnow()
    return await signin.second_step_passed(session, keys, settings, redis, staff, how, client)


async def _check(
    session: AsyncSession, settings: Settings, factor: SecondFactor, code: str, *, recovery: bool
) -> str | ErrorCode:
    """``"totp"`` or ``"recovery"`` when ``code`` is good (and spends it), else why not."""
    given = re.sub(r"[\s-]", "", code).upper()
    if _TOTP_CODE.match(given):
        step = _step(open_secret(session, factor), given)
        if step is None:
            return errors.CODE_INVALID
        if factor.last_step is not None and step <= factor.last_step:
            return errors.CODE_REPLAYED
        factor.last_step = step
        return "totp"
    if recovery and _RECOVERY_CODE.match(given):
        stored = await repository.unused_recovery_code(session, factor.staff_id, given[:4])
        # Argon2 is deliberately slow: keep it off the event loop (and do its work even for no code).
        matches = await asyncio.to_thread(verify_secret, stored.code_hash if stored else None, given)
        if stored is not None and matches:
            stored.used_at = utcnow()
            return "recovery"
    return errors.CODE_INVALID


def _step(secret: str, code: str) -> int | None:
    """The time step whose code ``code`` is, within the window around now; None when it is none of them."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if strings_equal(code, totp.generate_otp(step)):
            return step
    return None


# --- enrolment -----------------------------------------------------------------------------------


async def enrolling(session: AsyncSession, staff_id: uuid.UUID | None, challenge: str | None) -> Staff:
    """Who enrols: the bearer of an enrolment challenge from ``signIn``, else the signed-in staff member."""
    if challenge is not None:
        found, staff = await _open_challenge(session, challenge)
        if found.purpose != ENROL:
            raise DomainError(errors.ALREADY_ENROLLED, field="challenge")
        return staff
    signed_in = await repository.staff_by_id(session, staff_id) if staff_id is not None else None
    if signed_in is None:
        raise NotFound("Staff member", "员工")
    return signed_in


def _purpose(staff_id: uuid.UUID) -> str:
    """What a sealed TOTP secret is bound to: its staff member (copied onto another row, it does not open)."""
    return f"staff.totp:{staff_id}"


def open_secret(session: AsyncSession, factor: SecondFactor) -> str:
    """The TOTP secret, opened with the data key ring that seals all personal data (keys rotate there)."""
    secret = data_keys(session).open(_purpose(factor.staff_id), factor.sealed_secret)
    assert secret is not None
    return secret


async def rekey_secrets(db: Database, *, size: int = 500, ring: DataKeyRing | None = None) -> int:
    """Re-seal every TOTP secret not under the current data key (``crm rekey`` runs it with the clients'
    personal data: one key ring seals both), a batch per transaction; how many were re-sealed. ``ring``:
    instead of the process's (tests, rotation drills)."""
    done, after = 0, None
    while True:
        async with db.platform_session() as session:
            if ring is not None:
                session.info[DATA_KEYS] = ring
            keys = data_keys(session)
            factors = await repository.factors_after(session, after, size)
            for factor in factors:
                if key_id_of(factor.sealed_secret) != keys.current:
                    resealed = keys.seal(_purpose(factor.staff_id), open_secret(session, factor))
                    assert resealed is not None
                    factor.sealed_secret = resealed
                    done += 1
        if len(factors) < size:
            return done
        after = factors[-1].staff_id


async def begin_enrolment(session: AsyncSession, settings: Settings, staff: Staff) -> Enrolment:
    """A new secret, sealed and pending until a first code confirms it; beginning again replaces it."""
    factor = await repository.factor_of(session, staff.id, for_update=True)
    if factor is not None and factor.enrolled_at is not None:
        raise DomainError(errors.ALREADY_ENROLLED)
    secret = pyotp.random_base32()
    sealed = data_keys(session).seal(_purpose(staff.id), secret)
    assert sealed is not None
    if factor is None:
        session.add(SecondFactor(staff_id=staff.id, sealed_secret=sealed))
    else:
        factor.sealed_secret, factor.last_step = sealed, None
    await session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=staff.employee_number, issuer_name=ISSUER)
    return Enrolment(provisioning_uri=uri, qr_code_svg=_qr_svg(uri))


def _qr_svg(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", xmldecl=False, scale=4, title="Branchdesk")
    return buffer.getvalue().decode()


async def confirm_enrolment(
    session: AsyncSession,
    keys: KeyRing,
    settings: Settings,
    redis: Redis,
    staff: Staff,
    code: str,
    challenge: str | None = None,
    client: signin.Client | None = None,
) -> Confirmed:
    """The first valid code activates the second factor and returns ten recovery codes; with an
    enrolment ``challenge`` it also completes the sign-in that asked for it."""
    factor = await repository.factor_of(session, staff.id, for_update=True)
    if factor is None:
        raise DomainError(errors.ENROLMENT_NOT_STARTED)
    if factor.enrolled_at is not None:
        raise DomainError(errors.ALREADY_ENROLLED)
    how = await _check(session, settings, factor, code, recovery=False)
    if isinstance(how, ErrorCode):
        if challenge is not None:  # still part of a sign-in: counted like one
            raise await signin.second_step_failed(session, settings, redis, staff, how, "code")
        raise DomainError(how, field="code")
    factor.enrolled_at = utcnow()
    codes = await _new_recovery_codes(session, staff.id)
    await _audit(session, "staff.second_factor_enrolled", staff, _self(staff))
    if challenge is None:
        return Confirmed(codes, None)
    found, _ = await _open_challenge(session, challenge)
    found.used_at = utcnow()
    tokens = await signin.second_step_passed(session, keys, settings, redis, staff, "enrolment", client)
    return Confirmed(codes, tokens)


async def _new_recovery_codes(session: AsyncSession, staff_id: uuid.UUID) -> list[str]:
    codes: dict[str, str] = {}
    while len(codes) < RECOVERY_CODE_COUNT:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        codes.setdefault(code[:4], code)
    hashed = await asyncio.to_thread(lambda: [(lookup, hash_secret(code)) for lookup, code in codes.items()])
    await repository.replace_recovery_codes(session, staff_id, hashed)
    return [f"{c[:4]}-{c[4:8]}-{c[8:]}" for c in codes.values()]


# --- turning it off ------------------------------------------------------------------------------


async def disable_own(
    session: AsyncSession, settings: Settings, redis: Redis, staff_id: uuid.UUID, held: set[str], code: str
) -> None:
    """The staff member turns their own second factor off with a current code, unless their roles require it."""
    staff = await enrolling(session, staff_id, None)
    await session.refresh(staff, with_for_update=True)
    factor = await repository.factor_of(session, staff_id, for_update=True)
    if factor is None or factor.enrolled_at is None:
        raise DomainError(errors.NOT_ENROLLED)
    if settings.second_factor_enforced and held & set(await required_roles(session)):
        raise DomainError(errors.REQUIRED)
    how = await _check(session, settings, factor, code, recovery=False)
    if isinstance(how, ErrorCode):
        raise await signin.second_step_failed(session, settings, redis, staff, how, "code")
    await repository.remove_factor(session, staff_id)
    await _audit(session, "staff.second_factor_disabled", staff, _self(staff))


async def reset(session: AsyncSession, by: Principal, staff_id: uuid.UUID) -> Staff:
    """An administrator removes someone's second factor (lost phone): audited, and their sessions end.
    Only a member of the active branch (the system, i.e. the CLI: anyone); another branch's member is
    "not found", as everywhere."""
    by.require(STAFF_MANAGE)
    staff = await repository.staff_by_id(session, staff_id)
    if staff is None or not (by.is_system or await tenants.membership(session, by.branch_id, staff_id) is not None):
        raise NotFound("Staff member", "员工", field="staffId")
    if not await repository.remove_factor(session, staff_id):
        raise DomainError(errors.NOT_ENROLLED, field="staffId")
    await credentials.end_sessions(session, staff_id, utcnow())  # their open WebSockets close too
    where = by.branch.code if by.branch is not None else None
    await _audit(session, "staff.second_factor_reset", staff, by.author, branch=where)  # the head office's trail
    if by.branch is not None and not by.in_head_office:  # and the trail of the branch that did it, too
        details = {"employee_number": staff.employee_number}
        await audit.record(session, by.branch.id, by.author, "staff.second_factor_reset", "staff", staff_id, details)
    return staff


async def reset_named(session: AsyncSession, by: Principal, employee_number: str) -> Staff:
    """:func:`reset` by employee number (the CLI)."""
    found = await repository.staff_id_by_number(session, employee_number.strip())
    if found is None:
        raise NotFound("Staff member", "员工", field="employeeNumber")
    return await reset(session, by, found)


def _self(staff: Staff) -> Author:
    return Author("staff", staff.id, f"{staff.employee_number} {staff.display_name}")


async def _audit(session: AsyncSession, action: str, staff: Staff, actor: Author, **details: str | None) -> None:
    """Events of an identity go to the head office's trail, like sign-in events."""
    office = await tenants.head_office(session)
    if office is None:
        return
    async with across(session, SYSTEM, office.id):
        await audit.record(session, office.id, actor, action, "staff", staff.id, details)
