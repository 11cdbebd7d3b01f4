"""Reading holdings and AUM: through the clients the reader's ``client:read`` data scope reaches, so
another manager's client's holdings are as absent as another branch's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import service as crm
from branchdesk.crm.permissions import CLIENT_READ
from branchdesk.crm.repository import Reader
from branchdesk.holdings import errors, repository
from branchdesk.holdings.models import Holding
from branchdesk.platform.errors import DomainError
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset, keyset_each

MAX_WITHIN_DAYS = 366


@dataclass(frozen=True)
class HoldingEntry:
    id: uuid.UUID
    client_id: uuid.UUID
    reference: str
    product_code: str
    balance: Decimal
    currency: str
    opened_on: date | None
    matures_on: date | None
    status: str
    moved_at: datetime

    @classmethod
    def of(cls, row: Any) -> HoldingEntry:
        return cls(*row[:10])


# Orders of a client's holdings and of the maturing ones: each ends with the unique id.
HOLDING_ORDERS: dict[str, Key] = {
    "reference": (Holding.reference, Holding.id),
    "balance": (Holding.balance, Holding.id),
}
MATURING_ORDERS: dict[str, Key] = {
    "matures_on": (Holding.matures_on, Holding.id),  # never null among maturing holdings
    "balance": (Holding.balance, Holding.id),
}


def _reader(by: Principal) -> Reader | None:
    scope = by.data_scope(CLIENT_READ)
    return None if scope is None else Reader(by.staff_id, scope)


async def holdings_of(
    session: AsyncSession, by: Principal, client_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[HoldingEntry]]:
    """The same page of each client's holdings, for the clients the caller may read: one statement."""
    reader = _reader(by)
    if reader is None or not client_ids:
        return {}
    stmt = repository.holdings_query(by.branch_id, reader, client_ids)
    totals = repository.counts_query(by.branch_id, reader, client_ids)
    key = HOLDING_ORDERS[page.order_by or "reference"]
    return await keyset_each(session, stmt, Holding.client_id, key, page, HoldingEntry.of, totals)


async def holding_counts(session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    reader = _reader(by)
    if reader is None:
        return {}
    return await repository.holding_counts(session, by.branch_id, reader, client_ids)


async def holdings_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[HoldingEntry]:
    """Holdings the caller may read (their client in the ``client:read`` scope); never an error."""
    reader = _reader(by)
    if reader is None:
        return []
    return [HoldingEntry.of(row) for row in await repository.holdings_by_id(session, by.branch_id, reader, ids)]


async def _window(session: AsyncSession, by: Principal, within_days: int) -> tuple[date, date]:
    if not 0 <= within_days <= MAX_WITHIN_DAYS:
        raise DomainError(errors.WITHIN_DAYS, field="withinDays", limit=MAX_WITHIN_DAYS)
    today = await crm.branch_today(session, by)
    return today, today + timedelta(days=within_days)


async def maturing_holdings(
    session: AsyncSession, by: Principal, within_days: int, page: PageRequest
) -> Page[HoldingEntry]:
    """Active holdings maturing from today to ``within_days`` ahead (the branch's calendar days), of the
    clients the caller's ``client:read`` scope reaches, soonest first."""
    reader = crm.reader(by)
    first, last = await _window(session, by, within_days)
    stmt = repository.maturing_query(by.branch_id, reader, first, last)
    return await keyset(session, stmt, MATURING_ORDERS[page.order_by or "matures_on"], page, HoldingEntry.of)


async def count_maturing(session: AsyncSession, by: Principal, within_days: int) -> int:
    reader = crm.reader(by)
    first, last = await _window(session, by, within_days)
    return await count(session, repository.maturing_query(by.branch_id, reader, first, last))
