"""A branch of its own for holdings tests (the CRM tests' branch: a head, two customer managers, a teller,
a lobby manager, IT support), a small catalogue of products with codes of this test run, and factories
for clients and feeds through the services."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import records
from branchdesk.crm.service import ClientDraft
from branchdesk.holdings import catalogue, feed
from branchdesk.holdings.rules import ProductCategory, ProductRiskGrade
from branchdesk.tenants import repository as tenants
from tests.conftest import enter
from tests.crm.conftest import as_staff, crm_branch  # noqa: F401  (fixtures shared with the CRM tests)


@asynccontextmanager
async def acting(rt: Any, branch: Any, employee_number: str | None = None) -> AsyncIterator[tuple[Any, Principal]]:
    """A committed transaction in ``branch`` as that member, or as the system."""
    if employee_number is None:
        async with rt.db.session(branch.id) as session:
            yield session, Principal.system("tests", BranchRef(branch.id, branch.code))
        return
    async with rt.db.session(None) as session:
        staff = await tenants.staff_by_employee_number(session, employee_number)
        yield session, await enter(rt, session, staff.id, branch.code)


@dataclass(frozen=True)
class Catalogue:
    deposit: str  # CNY demand deposit
    time_deposit: str  # CNY, matures
    fund: str  # USD fund
    loan: str  # CNY loan: not assets under management


@pytest.fixture(scope="module")
async def products(rt) -> Catalogue:
    run = secrets.token_hex(3).upper()
    codes = Catalogue(f"T{run}-DEP", f"T{run}-TD1Y", f"T{run}-USDFUND", f"T{run}-LOAN")
    drafts = [
        catalogue.ProductDraft(
            codes.deposit, "活期储蓄", "Demand savings", ProductCategory.DEPOSIT, ProductRiskGrade.R1
        ),
        catalogue.ProductDraft(
            codes.time_deposit,
            "一年期定期存款",
            "1-year time deposit",
            ProductCategory.TIME_DEPOSIT,
            ProductRiskGrade.R1,
        ),
        catalogue.ProductDraft(
            codes.fund, "美元债券基金", "USD bond fund", ProductCategory.FUND, ProductRiskGrade.R2, currency="USD"
        ),
        catalogue.ProductDraft(codes.loan, "个人住房贷款", "Mortgage", ProductCategory.LOAN, ProductRiskGrade.R1),
    ]
    async with rt.db.session(None) as session:
        await catalogue.define_products(session, Principal.system("tests"), drafts)
    return codes


async def new_client(rt: Any, branch: Any, owner: str, name: str = "王芳") -> tuple[Any, str]:
    """A client of ``owner`` (a customer manager of the branch): (id, client number)."""
    number = f"C{secrets.token_hex(5).upper()}"
    async with acting(rt, branch, owner) as (session, by):
        made = await records.create_client(session, by, ClientDraft(client_number=number, name=name))
    return made.id, number


def line(reference: str, client_number: str, product: str, balance: str, **fields: Any) -> dict[str, Any]:
    return {"reference": reference, "client_number": client_number, "product_code": product,
            "balance": Decimal(balance)} | fields  # fmt: skip


async def record_rates(rt: Any, branch: Any, as_of: date, rates: dict[str, str]) -> None:
    async with acting(rt, branch) as (session, by):
        await feed.record_rates(session, by, as_of, {c: Decimal(r) for c, r in rates.items()})


async def apply(rt: Any, branch: Any, as_of: date, rows: list[dict[str, Any]]) -> feed.FeedResult:
    async with acting(rt, branch) as (session, by):
        return await feed.feed_holdings(session, by, as_of, rows)


async def aum(rt: Any, client_id: Any) -> tuple[Decimal, Any, Any]:
    async with rt.db.platform_session() as session:
        row = (
            await session.execute(
                text("select aum_cny, aum_as_of, last_movement_at from clients where id = :id"), {"id": client_id}
            )
        ).one()
        return row[0], row[1], row[2]
