"""All SQL of the second factor."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.clock import utcnow
from branchdesk.second_factor.models import RecoveryCode, SecondFactor, SecondFactorPolicyChange, SignInChallenge
from branchdesk.tenants.models import Membership, Staff


async def factor_of(session: AsyncSession, staff_id: uuid.UUID, *, for_update: bool = False) -> SecondFactor | None:
    stmt = select(SecondFactor).where(SecondFactor.staff_id == staff_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def is_enrolled(session: AsyncSession, staff_id: uuid.UUID) -> bool:
    """One light read (``me``): no secret is loaded."""
    found = await session.scalar(
        select(SecondFactor.enrolled_at).where(SecondFactor.staff_id == staff_id, SecondFactor.enrolled_at.is_not(None))
    )
    return found is not None


async def remove_factor(session: AsyncSession, staff_id: uuid.UUID) -> bool:
    """The secret, the recovery codes and open challenges of the staff member; True if a secret was there."""
    removed = await session.execute(
        delete(SecondFactor).where(SecondFactor.staff_id == staff_id).returning(SecondFactor.staff_id)
    )
    await session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff_id))
    await end_challenges_of(session, staff_id)
    return removed.first() is not None


async def replace_recovery_codes(session: AsyncSession, staff_id: uuid.UUID, codes: list[tuple[str, str]]) -> None:
    """``codes``: (lookup, hash) pairs that replace every recovery code the staff member had."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff_id))
    session.add_all(RecoveryCode(staff_id=staff_id, lookup=lookup, code_hash=hashed) for lookup, hashed in codes)
    await session.flush()


async def unused_recovery_code(session: AsyncSession, staff_id: uuid.UUID, lookup: str) -> RecoveryCode | None:
    return await session.scalar(
        select(RecoveryCode)
        .where(RecoveryCode.staff_id == staff_id, RecoveryCode.lookup == lookup, RecoveryCode.used_at.is_(None))
        .with_for_update()
    )


async def recovery_codes_left(session: AsyncSession, staff_id: uuid.UUID) -> int:
    return (
        await session.scalar(
            select(func.count()).where(RecoveryCode.staff_id == staff_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


async def challenge_by_hash(session: AsyncSession, token_hash: str) -> SignInChallenge | None:
    return await session.scalar(
        select(SignInChallenge).where(SignInChallenge.token_hash == token_hash).with_for_update()
    )


async def end_challenges_of(session: AsyncSession, staff_id: uuid.UUID) -> None:
    await session.execute(
        update(SignInChallenge)
        .where(SignInChallenge.staff_id == staff_id, SignInChallenge.used_at.is_(None))
        .values(used_at=utcnow())
    )


async def roles_anywhere(platform_session: AsyncSession, staff_id: uuid.UUID) -> set[str]:
    """Every role the staff member holds in any branch, now or from a later start (platform scope: across
    branches); a membership that has ended (a past cover) holds none."""
    rows = await platform_session.scalars(
        select(Membership.roles).where(
            Membership.staff_id == staff_id, or_(Membership.ends_at.is_(None), Membership.ends_at > func.now())
        )
    )
    return {role for roles in rows for role in roles}


async def current_policy(session: AsyncSession) -> SecondFactorPolicyChange | None:
    return await session.scalar(
        select(SecondFactorPolicyChange).order_by(SecondFactorPolicyChange.changed_at.desc()).limit(1)
    )


async def staff_by_id(session: AsyncSession, staff_id: uuid.UUID) -> Staff | None:
    return await session.get(Staff, staff_id)


async def staff_id_by_number(session: AsyncSession, employee_number: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(select(Staff.id).where(Staff.employee_number == employee_number))
    return found


async def factors_after(session: AsyncSession, after: uuid.UUID | None, size: int) -> list[SecondFactor]:
    """The next ``size`` second factors by staff id, locked for re-sealing."""
    stmt = select(SecondFactor).order_by(SecondFactor.staff_id).limit(size).with_for_update()
    if after is not None:
        stmt = stmt.where(SecondFactor.staff_id > after)
    return list(await session.scalars(stmt))
