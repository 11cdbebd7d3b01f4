"""All SQL of service accounts."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.service_accounts.models import ServiceAccount


async def service_account(
    session: AsyncSession, branch_id: uuid.UUID, account_id: uuid.UUID, *, for_update: bool = False
) -> ServiceAccount | None:
    stmt = select(ServiceAccount).where(ServiceAccount.tenant_id == branch_id, ServiceAccount.id == account_id)
    return await session.scalar(stmt.with_for_update() if for_update else stmt)


async def service_accounts_by_ids(
    session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[ServiceAccount]:
    if not ids:
        return []
    return list(
        await session.scalars(
            select(ServiceAccount).where(ServiceAccount.tenant_id == branch_id, ServiceAccount.id.in_(ids))
        )
    )


async def service_account_by_client_id(
    session: AsyncSession, branch_id: uuid.UUID, client_id: str
) -> ServiceAccount | None:
    return await session.scalar(
        select(ServiceAccount).where(ServiceAccount.tenant_id == branch_id, ServiceAccount.client_id == client_id)
    )


def service_accounts_query(branch_id: uuid.UUID) -> Select[ServiceAccount]:
    return select(ServiceAccount).where(ServiceAccount.tenant_id == branch_id)


async def grants(session: AsyncSession, branch_id: uuid.UUID) -> dict[str, list[str]]:
    rows = await session.execute(
        select(ServiceAccount.id, ServiceAccount.permissions).where(
            ServiceAccount.tenant_id == branch_id, ServiceAccount.active.is_(True)
        )
    )
    return {f"service:{account_id}": list(perms) for account_id, perms in rows}


async def active_accounts_created_by(platform_session: AsyncSession, staff_id: uuid.UUID) -> list[ServiceAccount]:
    return list(
        await platform_session.scalars(
            select(ServiceAccount)
            .where(ServiceAccount.created_by == staff_id, ServiceAccount.active)
            .order_by(ServiceAccount.client_id)
        )
    )
