"""Importing holdings from a core-banking file on the client import machine: a good file loads and keeps
AUM current, the same file again changes nothing, a file with bad rows loads nothing and reports every bad
row with its column (the feed's own checks included), ``skip_invalid`` loads exactly the good rows, a
currency without a rate refuses the whole file, and a dry run writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from branchdesk.access.unit_of_work import system_work
from branchdesk.holdings.imports import layout
from branchdesk.holdings.imports import service as imports
from tests.conftest import Api
from tests.crm.test_import_feed import https, service_token  # noqa: F401  (https: a fixture)
from tests.holdings.conftest import aum, new_client, record_rates

pytestmark = pytest.mark.external

AS_OF = date(2026, 11, 27)
HEADER = "reference,client_number,product_code,balance,currency,opened_on,matures_on,status\n"


async def run(rt, branch, data: str, **options) -> imports.HoldingsImportResult:
    sheet = layout.read_sheet(data.encode())
    async with system_work(rt.db, "test import", branch.id) as (session, by):
        return await imports.import_holdings(session, by, sheet, source="holdings.csv", as_of=AS_OF, **options)


async def references(rt, branch, prefix: str) -> list[str]:
    async with rt.db.platform_session() as session:
        found = await session.scalars(
            text("select reference from holdings where tenant_id = :t and reference like :p order by reference"),
            {"t": branch.id, "p": prefix + "%"},
        )
        return list(found)


async def test_a_good_file_loads_keeps_aum_current_and_loads_again_as_a_no_op(rt, crm_branch, products):
    branch = crm_branch.branch
    client_id, number = await new_client(rt, branch, crm_branch.cm1)
    await record_rates(rt, branch, AS_OF, {"USD": "7.0"})
    data = (
        HEADER
        + f"{number}-1,{number},{products.deposit},1000.50,,2025-01-02,,\n"
        + f"{number}-2,{number},{products.fund},100,,,,active\n"
    )

    first = await run(rt, branch, data)
    again = await run(rt, branch, data)

    assert (first.inserted, first.updated, first.clients, first.issues, first.loaded) == (2, 0, 1, [], True)
    assert (await aum(rt, client_id))[0] == Decimal("1700.50")
    assert (again.inserted, again.updated, again.unchanged, again.clients) == (0, 0, 2, 0)


async def test_bad_rows_load_nothing_and_are_each_reported_and_skip_invalid_loads_the_good_ones(
    rt, crm_branch, products
):
    branch = crm_branch.branch
    _, number = await new_client(rt, branch, crm_branch.cm2)
    data = (
        HEADER
        + f"{number}-1,{number},{products.deposit},10,,,,\n"
        + f"{number}-2,NOSUCHCLIENT,{products.deposit},10,,,,\n"  # the feed: unknown client number
        + f"{number}-3,{number},NOSUCHPRODUCT,10,,,,\n"  # the feed: unknown product
        + f"{number}-4,{number},{products.deposit},ten,,2026-13-01,,\n"  # ours: amount and date
        + f"{number}-5,{number},{products.deposit},5,,,,\n"
    )

    refused = await run(rt, branch, data)
    assert (refused.loaded, refused.inserted, refused.refused) == (False, 0, 3)
    assert [(i.row, i.column, i.code.code) for i in refused.issues] == [
        (3, "client_number", "HOLDING_UNKNOWN_CLIENT"),
        (4, "product_code", "UNKNOWN_PRODUCT"),
        (5, "balance", "IMPORT_AMOUNT_FORMAT"),
        (5, "opened_on", "CLIENT_IMPORT_DATE_FORMAT"),
    ]
    assert await references(rt, branch, number) == []

    skipped = await run(rt, branch, data, skip_invalid=True)
    assert (skipped.loaded, skipped.inserted, skipped.refused) == (True, 2, 3)
    assert await references(rt, branch, number) == [f"{number}-1", f"{number}-5"]


async def test_a_currency_without_a_rate_refuses_the_whole_file_even_skipping_invalid_rows(rt, crm_branch, products):
    branch = crm_branch.branch
    _, number = await new_client(rt, branch, crm_branch.cm1)
    data = HEADER + f"{number}-1,{number},{products.deposit},10,,,,\n{number}-2,{number},{products.deposit},10,GBP,,,\n"

    result = await run(rt, branch, data, skip_invalid=True)

    assert not result.loaded and [(i.row, i.code.code) for i in result.issues] == [(0, "MISSING_EXCHANGE_RATE")]
    assert await references(rt, branch, number) == []


async def test_a_dry_run_counts_and_writes_nothing(rt, crm_branch, products):
    branch = crm_branch.branch
    _, number = await new_client(rt, branch, crm_branch.cm1)

    result = await run(rt, branch, HEADER + f"{number}-1,{number},{products.deposit},10,,,,\n", dry_run=True)

    assert (result.inserted, result.loaded) == (1, False)
    assert await references(rt, branch, number) == []


# --- the feed's service account, through GraphQL ----------------------------------------------------

IMPORT = """mutation($i: ImportHoldingsInput!) { importHoldings(input: $i) {
  inserted updated unchanged refused clientsChanged loaded rowErrors { row field code } errors { code field } } }"""


async def test_the_feed_imports_holdings_in_batches_as_a_service_account(https, crm_branch, products, rt):  # noqa: F811
    token = await service_token(https, crm_branch, ["holding:feed"])
    api = Api(https)
    _, number = await new_client(rt, crm_branch.branch, crm_branch.cm1)
    rows = [
        {"reference": f"{number}-1", "clientNumber": number, "productCode": products.deposit, "balance": "88.80"},
        {"reference": f"{number}-2", "clientNumber": "NOSUCH", "productCode": products.deposit, "balance": "1"},
    ]
    variables = {"i": {"rows": rows, "asOf": str(AS_OF)}}

    refused = await api.post(IMPORT, variables, token=token, branch=crm_branch.code)
    skipped = await api.post(
        IMPORT, {"i": {**variables["i"], "skipInvalid": True}}, token=token, branch=crm_branch.code
    )
    again = await api.post(IMPORT, {"i": {**variables["i"], "skipInvalid": True}}, token=token, branch=crm_branch.code)
    without = await api.post(IMPORT, variables, token=await service_token(https, crm_branch, ["client:import"]),
                             branch=crm_branch.code)  # fmt: skip

    payload = refused["data"]["importHoldings"]
    assert (payload["loaded"], payload["refused"]) == (False, 1)
    assert payload["rowErrors"] == [{"row": 1, "field": "clientNumber", "code": "HOLDING_UNKNOWN_CLIENT"}]
    assert payload["errors"] == [{"code": "CLIENT_IMPORT_REFUSED", "field": "rows"}]
    loaded = skipped["data"]["importHoldings"]
    assert (loaded["inserted"], loaded["clientsChanged"], loaded["loaded"]) == (1, 1, True)
    assert again["data"]["importHoldings"]["unchanged"] == 1
    assert [e["extensions"]["code"] for e in without["errors"]] == ["FORBIDDEN"]
    assert await references(rt, crm_branch.branch, number) == [f"{number}-1"]
