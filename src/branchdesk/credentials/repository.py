"""All SQL of the credentials domain: activation codes, and staff identities' sessions (refresh-token
families) and credentials."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.credentials.models import ActivationCode
from branchdesk.tenants.models import RefreshToken, Staff


async def staff_by_id(session: AsyncSession, staff_id: uuid.UUID, *, for_update: bool = False) -> Staff | None:
    stmt = select(Staff).where(Staff.id == staff_id)
    return await session.scalar(stmt.with_for_update() if for_update else stmt)


async def staff_by_employee_number(session: AsyncSession, employee_number: str) -> Staff | None:
    return await session.scalar(select(Staff).where(Staff.employee_number == employee_number).with_for_update())


async def outstanding_code(session: AsyncSession, staff_id: uuid.UUID) -> ActivationCode | None:
    """The staff member's code that is neither used nor superseded (expired or not), locked."""
    return await session.scalar(
        select(ActivationCode)
        .where(
            ActivationCode.staff_id == staff_id,
            ActivationCode.used_at.is_(None),
            ActivationCode.superseded_at.is_(None),
        )
        .with_for_update()
    )


async def latest_code(session: AsyncSession, staff_id: uuid.UUID) -> ActivationCode | None:
    return await session.scalar(
        select(ActivationCode)
        .where(ActivationCode.staff_id == staff_id)
        .order_by(ActivationCode.created_at.desc(), ActivationCode.id.desc())
        .limit(1)
    )


async def code_by_id(session: AsyncSession, code_id: uuid.UUID) -> ActivationCode | None:
    return await session.get(ActivationCode, code_id)


async def supersede_codes(session: AsyncSession, staff_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(ActivationCode)
        .where(
            ActivationCode.staff_id == staff_id,
            ActivationCode.used_at.is_(None),
            ActivationCode.superseded_at.is_(None),
        )
        .values(superseded_at=now)
    )


def _active(now: datetime) -> Any:
    """A refresh token that can still be exchanged: its family's current one."""
    return (RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now)


async def end_sessions(
    session: AsyncSession,
    staff_id: uuid.UUID,
    now: datetime,
    *,
    only: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
) -> int:
    """Revoke the staff member's active sessions (all, ``only`` that family, or all but ``keep``);
    returns how many sessions ended. Every token of an ended family is revoked."""
    families = select(RefreshToken.family_id).where(RefreshToken.staff_id == staff_id, *_active(now))
    if only is not None:
        families = families.where(RefreshToken.family_id == only)
    if keep is not None:
        families = families.where(RefreshToken.family_id != keep)
    ended = await session.scalars(
        update(RefreshToken)
        .where(
            RefreshToken.staff_id == staff_id,
            RefreshToken.family_id.in_(families.scalar_subquery()),
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .returning(RefreshToken.family_id)
    )
    return len(set(ended.all()))


async def active_sessions(session: AsyncSession, staff_id: uuid.UUID, now: datetime) -> list[Row[Any]]:
    """One row per active session (refresh-token family), newest first: when it started (the first
    token), when it was last used (its current token: the latest sign-in or refresh) and from where."""
    started = (
        select(RefreshToken.family_id, func.min(RefreshToken.issued_at).label("created_at"))
        .where(RefreshToken.staff_id == staff_id)
        .group_by(RefreshToken.family_id)
        .subquery()
    )
    return list(
        await session.execute(
            select(
                RefreshToken.family_id,
                started.c.created_at,
                RefreshToken.issued_at.label("last_used_at"),
                RefreshToken.expires_at,
                RefreshToken.user_agent,
                RefreshToken.address,
            )
            .join(started, started.c.family_id == RefreshToken.family_id)
            .where(RefreshToken.staff_id == staff_id, *_active(now))
            .order_by(RefreshToken.issued_at.desc())
        )
    )
