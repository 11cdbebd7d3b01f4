"""The holdings feed: upserting by reference from a staging table (the same feed again changes nothing),
AUM in CNY kept current with the feed's rates, and bad feeds refused whole with typed errors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from branchdesk.holdings import errors, feed
from branchdesk.jobs import tasks
from branchdesk.platform.errors import DomainError, Forbidden, InvalidInput
from tests.holdings.conftest import acting, apply, aum, line, new_client, record_rates

pytestmark = pytest.mark.external

AS_OF = date(2026, 11, 27)


async def holdings_rows(rt, branch) -> list[tuple]:
    async with rt.db.platform_session() as session:
        found = await session.execute(
            text(
                "select reference, balance, status, moved_at, updated_at from holdings "
                "where tenant_id = :t order by reference"
            ),
            {"t": branch.id},
        )
        return [tuple(r) for r in found]


async def fed_jobs(rt, branch) -> int:
    async with rt.db.platform_session() as session:
        return int(
            await session.scalar(
                text("select count(*) from outbox where tenant_id = :t and job = 'holdings_fed'"), {"t": branch.id}
            )
        )


async def test_aum_converts_other_currencies_with_the_latest_rate_on_or_before_the_feed_date(rt, crm_branch, products):
    # given a client with a CNY deposit, a USD fund, a closed CNY deposit and a loan, and USD rates recorded
    # before, on the day after, the feed's date
    branch = crm_branch.branch
    client_id, number = await new_client(rt, branch, crm_branch.cm1)
    await record_rates(rt, branch, AS_OF - timedelta(days=3), {"USD": "7.0000"})
    await record_rates(rt, branch, AS_OF - timedelta(days=1), {"USD": "7.1234"})
    await record_rates(rt, branch, AS_OF + timedelta(days=1), {"USD": "9.9999"})
    ref = number
    rows = [
        line(f"{ref}-1", number, products.deposit, "10000.50"),
        line(f"{ref}-2", number, products.fund, "1234.56"),
        line(f"{ref}-3", number, products.deposit, "500.00", status="closed"),
        line(f"{ref}-4", number, products.loan, "300000.00"),
    ]

    # when the feed is applied
    result = await apply(rt, branch, AS_OF, rows)

    # then the client's AUM is 10,000.50 + round(1,234.56 × 7.1234, 2) = 10,000.50 + 8,794.26 (the closed
    # deposit and the loan are not assets under management; the later rate is not used)
    assert result.inserted == 4 and result.updated == 0
    amount, as_of, moved = await aum(rt, client_id)
    assert amount == Decimal("18794.76")
    assert as_of == result.fed_at and moved == result.fed_at
    # and the fund's currency came from the product
    assert {r[0]: r for r in await holdings_rows(rt, branch)}[f"{ref}-2"][1] == Decimal("1234.56")


async def test_the_same_feed_again_changes_nothing(rt, crm_branch, products):
    # given a feed applied once
    branch = crm_branch.branch
    client_id, number = await new_client(rt, branch, crm_branch.cm2)
    await record_rates(rt, branch, AS_OF, {"USD": "7.2"})
    rows = [line(f"{number}-A", number, products.deposit, "100"), line(f"{number}-B", number, products.fund, "10")]
    first = await apply(rt, branch, AS_OF, rows)
    before, jobs = await holdings_rows(rt, branch), await fed_jobs(rt, branch)
    figures = await aum(rt, client_id)

    # when exactly the same feed is applied again
    again = await apply(rt, branch, AS_OF, rows)

    # then no holding and no client was written, and no job handed over
    assert first.inserted == 2 and first.clients >= 1  # other clients of the branch hold USD too
    assert (again.inserted, again.updated, again.clients) == (0, 0, 0)
    assert await holdings_rows(rt, branch) == before
    assert await aum(rt, client_id) == figures == (Decimal("172.00"), first.fed_at, first.fed_at)
    assert await fed_jobs(rt, branch) == jobs


async def test_a_changed_balance_moves_the_holding_and_the_clients_aum(rt, crm_branch, products):
    # given a client with two CNY holdings
    branch = crm_branch.branch
    client_id, number = await new_client(rt, branch, crm_branch.cm1)
    rows = [
        line(f"{number}-A", number, products.deposit, "100"),
        line(f"{number}-B", number, products.time_deposit, "900"),
    ]
    first = await apply(rt, branch, AS_OF, rows)
    jobs = await fed_jobs(rt, branch)

    # when the next feed has a new balance for one and the other matured
    rows = [
        line(f"{number}-A", number, products.deposit, "150.25"),
        line(f"{number}-B", number, products.time_deposit, "900", status="matured"),
    ]
    second = await apply(rt, branch, AS_OF, rows)

    # then both were updated and moved, the AUM is the deposit alone, and a job was handed over
    assert (second.inserted, second.updated, second.clients) == (0, 2, 1)
    stored = {r[0]: r for r in await holdings_rows(rt, branch)}
    assert stored[f"{number}-A"][3] == second.fed_at > first.fed_at
    assert stored[f"{number}-B"][2] == "matured"
    assert await aum(rt, client_id) == (Decimal("150.25"), second.fed_at, second.fed_at)
    assert await fed_jobs(rt, branch) == jobs + 1


async def test_an_unknown_product_refuses_the_whole_feed_naming_the_line(rt, crm_branch, products):
    # given a feed whose second line names a product the catalogue does not have
    branch = crm_branch.branch
    client_id, number = await new_client(rt, branch, crm_branch.cm1)
    before = await holdings_rows(rt, branch)
    rows = [
        line(f"{number}-A", number, products.deposit, "100", line=1),
        line(f"{number}-B", number, "NO-SUCH-PRODUCT", "5", line=2),
    ]

    # when it is applied, then it is refused with UNKNOWN_PRODUCT on that line's product code
    with pytest.raises(InvalidInput) as refused:
        await apply(rt, branch, AS_OF, rows)
    assert [(e.code, e.field) for e in refused.value.errors] == [("UNKNOWN_PRODUCT", "[2].productCode")]
    assert "NO-SUCH-PRODUCT" in refused.value.errors[0].message("en")

    # and nothing was written: not even the good line, nor the client's AUM
    assert await holdings_rows(rt, branch) == before
    assert (await aum(rt, client_id))[1] is None


async def test_a_currency_without_a_rate_refuses_the_feed(rt, crm_branch, products):
    # given a holding in HKD, a currency the branch's feed never gave a rate for, and one in USD whose only
    # rate is later than the feed's date
    branch = crm_branch.branch
    _, number = await new_client(rt, branch, crm_branch.cm1)
    await record_rates(rt, branch, AS_OF + timedelta(days=30), {"USD": "7.3"})
    before = await holdings_rows(rt, branch)
    rows = [
        line(f"{number}-A", number, products.deposit, "100", currency="HKD", line=1),
        line(f"{number}-B", number, products.fund, "100", line=2),
    ]

    # when it is applied, then both currencies are reported and nothing is written
    with pytest.raises(InvalidInput) as refused:
        await apply(rt, branch, AS_OF - timedelta(days=400), rows)
    found = sorted((e.code, e.field, e.params["currency"]) for e in refused.value.errors)
    assert found == [("MISSING_EXCHANGE_RATE", "currency", "HKD"), ("MISSING_EXCHANGE_RATE", "currency", "USD")]
    assert await holdings_rows(rt, branch) == before


async def test_other_bad_lines_are_all_reported_at_once(rt, crm_branch, products):
    # given a feed with an unknown client number, a duplicate reference, a bad status and bad dates
    branch = crm_branch.branch
    _, number = await new_client(rt, branch, crm_branch.cm1)
    rows = [
        line(f"{number}-A", "NOBODY", products.deposit, "1", line=1),
        line(f"{number}-B", number, products.deposit, "1", line=2),
        line(f"{number}-B", number, products.deposit, "2", line=3),
        line(f"{number}-C", number, products.deposit, "1", status="frozen", line=4),
        line(
            f"{number}-D", number, products.time_deposit, "1", opened_on=AS_OF, matures_on=AS_OF - timedelta(1), line=5
        ),
    ]

    # when it is applied, then every problem is reported with its line and field
    with pytest.raises(InvalidInput) as refused:
        await apply(rt, branch, AS_OF, rows)
    assert [(e.code, e.field) for e in refused.value.errors] == [
        ("HOLDING_UNKNOWN_CLIENT", "[1].clientNumber"),
        ("HOLDING_DUPLICATE_REFERENCE", "[2].reference"),
        ("HOLDING_INVALID", "[4].status"),
        ("HOLDING_INVALID", "[5].maturesOn"),
    ]


async def test_another_branchs_client_number_is_unknown(rt, crm_branch, world, products):
    # given a client of another branch
    _, number = await new_client(rt, world.branch_a, world.head_a)

    # when this branch's feed names its client number, then it is no client of this branch
    with pytest.raises(InvalidInput) as refused:
        await apply(rt, crm_branch.branch, AS_OF, [line(f"{number}-X", number, products.deposit, "1")])
    assert [(e.code, e.field) for e in refused.value.errors] == [("HOLDING_UNKNOWN_CLIENT", "clientNumber")]


async def test_rates_are_checked_and_a_day_is_replaced(rt, crm_branch):
    branch = crm_branch.branch
    # when bad rates are given, then each is reported and nothing recorded
    async with acting(rt, branch) as (session, by):
        with pytest.raises(InvalidInput) as refused:
            await feed.record_rates(session, by, AS_OF, {"CNY": Decimal(1), "USD": Decimal(-1), "us dollars": 7})
    assert sorted(e.code for e in refused.value.errors) == [
        "CURRENCY_FORMAT",
        "EXCHANGE_RATE_NOT_POSITIVE",
        "EXCHANGE_RATE_OF_BASE",
    ]
    with pytest.raises(DomainError) as empty:
        async with acting(rt, branch) as (session, by):
            await feed.record_rates(session, by, AS_OF, {})
    assert empty.value.error is errors.NO_RATES

    # when a day's rate is recorded twice, then the second replaces the first
    await record_rates(rt, branch, date(2020, 1, 2), {"EUR": "7.8", "jpy": "0.05"})
    await record_rates(rt, branch, date(2020, 1, 2), {"EUR": "7.9"})
    async with acting(rt, branch) as (session, by):
        assert await feed.rates_on(session, by, date(2020, 1, 2)) == {"EUR": Decimal("7.9"), "JPY": Decimal("0.05")}
        assert await feed.rates_on(session, by, date(2020, 1, 1)) == {}


async def test_only_the_feed_records_rates_and_holdings(rt, crm_branch):
    # a customer manager holds neither holding:feed nor a way round it
    async with acting(rt, crm_branch.branch, crm_branch.cm1) as (session, by):
        with pytest.raises(Forbidden):
            await feed.record_rates(session, by, AS_OF, {"USD": Decimal(7)})
        with pytest.raises(Forbidden):
            await feed.create_staging(session, by)


async def test_the_holdings_fed_job_runs_once_and_finds_aum_current(rt, crm_branch, products):
    # given a feed that changed a holding, and so handed holdings_fed to the outbox
    branch = crm_branch.branch
    client_id, number = await new_client(rt, branch, crm_branch.cm1)
    result = await apply(rt, branch, AS_OF, [line(f"{number}-J", number, products.deposit, "88.80")])
    async with rt.db.platform_session() as session:
        row = (
            await session.execute(
                text(
                    "select id, payload from outbox where tenant_id = :t and job = 'holdings_fed' "
                    "order by created_at desc limit 1"
                ),
                {"t": branch.id},
            )
        ).one()
    assert row.payload == {"fed_at": result.fed_at.isoformat(), "as_of": AS_OF.isoformat()}

    # when the job runs, and runs again (ARQ delivers at least once)
    ctx = {"runtime": rt}
    first = await tasks.holdings_fed(ctx, str(branch.id), str(row.id), **row.payload)
    again = await tasks.holdings_fed(ctx, str(branch.id), str(row.id), **row.payload)

    # then the AUM the feed set is already current (nothing to refresh) and the second run does nothing
    assert first.endswith(" 0 clients' AUM refreshed") and again == "already done"
    assert (await aum(rt, client_id))[0] == Decimal("88.80")
