"""The demo's catalogue and holdings: every client gets holdings across the catalogue, some time deposits
mature next week, AUM is filled by the feed itself, in a fixed number of statements; running it again
changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import bulk
from branchdesk.demo import CLIENTS_PER_BRANCH, DEMO_RATES, PRODUCTS, demo_clients
from branchdesk.holdings import catalogue, feed
from branchdesk.holdings.rules import ProductCategory, ProductRiskGrade
from branchdesk.tenants import repository as tenants

pytestmark = pytest.mark.external


async def test_the_demo_feeds_every_client_set_based_and_only_once(rt, crm_branch, sql_counter):
    # given the demo's catalogue and a book of the demo's clients
    branch, today = crm_branch.branch, date.today()
    drafts = [
        catalogue.ProductDraft(code, zh, en, ProductCategory(kind), ProductRiskGrade(grade), currency)
        for code, zh, en, kind, grade, currency in PRODUCTS
    ]
    async with rt.db.session(None) as session:
        await catalogue.define_products(session, Principal.system("tests"), drafts)
    system = Principal.system("tests", BranchRef(branch.id, crm_branch.code))
    async with rt.db.session(branch.id) as session:
        owner = (await tenants.staff_by_employee_number(session, crm_branch.cm2)).id
        book = demo_clients(f"H{crm_branch.code}", [owner], today)
        await bulk.create_clients_in_bulk(session, system, book, "demo")
        await feed.record_rates(session, system, today, DEMO_RATES)
    codes = [p[0] for p in PRODUCTS]

    # when the demo feeds the branch's holdings
    sql_counter.count = 0
    with sql_counter:
        async with rt.db.session(branch.id) as session:
            await feed.stage_demo_holdings(session, system, codes, today)
            first = await feed.apply_holdings_feed(session, system, today)
    # bind, staging (drop, create, fill), check, upsert, AUM, audit (lock, chain head, record), outbox: none per client
    assert sql_counter.count == 11

    # then every client of the book holds two to four products, and the AUM is the feed's
    async with rt.db.platform_session() as session:
        per_client = (
            await session.execute(
                text(
                    "select c.client_number, count(h.id), c.aum_cny, c.aum_as_of from clients c "
                    "left join holdings h on h.tenant_id = c.tenant_id and h.client_id = c.id "
                    "where c.tenant_id = :t and c.client_number like :prefix group by c.tenant_id, c.id"
                ),
                {"t": branch.id, "prefix": f"H{crm_branch.code}%"},
            )
        ).all()
        maturing = await session.scalar(
            text(
                "select count(*) from holdings where tenant_id = :t and status = 'active' "
                "and matures_on between :today and :week and product_code in ('TD3M', 'TD1Y', 'TD3Y', 'TD-USD1Y')"
            ),
            {"t": branch.id, "today": today, "week": today + timedelta(days=7)},
        )
        categories = await session.scalar(
            text(
                "select count(distinct p.category) from holdings h join products p on p.code = h.product_code "
                "where h.tenant_id = :t"
            ),
            {"t": branch.id},
        )
    assert len(per_client) == CLIENTS_PER_BRANCH and first.inserted >= 2 * CLIENTS_PER_BRANCH
    assert all(2 <= n <= 4 and as_of == first.fed_at for _, n, _, as_of in per_client)
    assert sum(1 for *_, aum, _ in per_client if aum > 0) > 0.9 * CLIENTS_PER_BRANCH
    assert maturing >= 5  # some time deposits mature next week
    assert categories == len(ProductCategory) - 1  # every category of the catalogue but "other"

    # when it runs again the same day, then nothing changes
    async with rt.db.session(branch.id) as session:
        await feed.stage_demo_holdings(session, system, codes, today)
        again = await feed.apply_holdings_feed(session, system, today)
    assert (again.inserted, again.updated, again.clients) == (0, 0, 0)
