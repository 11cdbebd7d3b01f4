"""Holdings through GraphQL: a client's holdings and AUM within the reader's data scope, maturing holdings
of the branch, a Holding by node id, the feed's rates recorded by its service account, and a page of
clients with their holdings in a fixed number of statements."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from strawberry import relay

from branchdesk.access.principal import Principal
from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.service_accounts import service as accounts
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, enter, extensions_of, onboard, unique_code, unique_employee_number
from tests.holdings.conftest import acting, apply, line, new_client, record_rates

pytestmark = pytest.mark.external

HOLDING = "id reference productCode product { code category } balance { amount currency } status maturesOn"
CLIENT = f"""query($id: ID!) {{ client(id: $id) {{ name aum {{ amount currency }} aumAsOf
  holdings(first: 10) {{ totalCount edges {{ node {{ {HOLDING} }} }} }} }} }}"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Holding {{ {HOLDING} client {{ name }} }} }} }}"
MATURING = f"""query($days: Int!) {{ maturingHoldings(withinDays: $days, first: 50) {{
  totalCount edges {{ node {{ {HOLDING} client {{ name }} }} }} }} }}"""
RATES = """mutation($i: RecordExchangeRatesInput!) { recordExchangeRates(input: $i) {
  asOf exchangeRates { currency rate } errors { code field } } }"""


def client_gid(client_id: Any) -> str:
    return str(relay.GlobalID("Client", str(client_id)))


def shanghai_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture(scope="module")
async def books(rt, crm_branch, products) -> dict[str, Any]:
    """A client of each customer manager, each with a time deposit maturing in three days and a deposit;
    the first manager's client also holds the USD fund."""
    today = shanghai_today()
    await record_rates(rt, crm_branch.branch, today - timedelta(days=1), {"USD": "7.25"})
    made: dict[str, Any] = {}
    rows = []
    for who in ("cm1", "cm2"):
        client_id, number = await new_client(rt, crm_branch.branch, getattr(crm_branch, who), name=f"客户{who}")
        made[who] = client_id
        rows += [
            line(f"{number}-TD", number, products.time_deposit, "50000", matures_on=today + timedelta(days=3)),
            line(f"{number}-DEP", number, products.deposit, "1200.40"),
        ]
        if who == "cm1":
            rows.append(line(f"{number}-FUND", number, products.fund, "100"))
    await apply(rt, crm_branch.branch, today, rows)
    return made


async def test_a_customer_manager_reads_their_clients_holdings_and_aum(as_staff, crm_branch, books):
    # when the first customer manager opens their client
    cm1 = await as_staff(crm_branch.cm1)
    client = (await cm1(CLIENT, {"id": client_gid(books["cm1"])}))["data"]["client"]

    # then the AUM is 50,000 + 1,200.40 + 100 USD × 7.25 = 51,925.40 CNY, as the feed set it
    assert client["aum"] == {"amount": "51925.40", "currency": "CNY"}
    assert client["aumAsOf"] is not None
    # and the three holdings are listed with their product, balance in their own currency and maturity
    holdings = client["holdings"]
    assert holdings["totalCount"] == 3
    by_category = {e["node"]["product"]["category"]: e["node"] for e in holdings["edges"]}
    assert by_category["FUND"]["balance"] == {"amount": "100.00", "currency": "USD"}
    assert by_category["TIME_DEPOSIT"]["maturesOn"] == (shanghai_today() + timedelta(days=3)).isoformat()
    assert by_category["DEPOSIT"]["status"] == "ACTIVE"


async def test_another_managers_clients_holdings_are_not_found(as_staff, crm_branch, books):
    # given the first manager's client's holdings, as its owner sees them
    cm1, cm2 = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2)
    edges = (await cm1(CLIENT, {"id": client_gid(books["cm1"])}))["data"]["client"]["holdings"]["edges"]
    holding_id = edges[0]["node"]["id"]
    assert (await cm1(NODE, {"id": holding_id}))["data"]["node"]["id"] == holding_id

    # when the second manager asks for that client, or for one of its holdings by id
    # then neither is found
    assert (await cm2(CLIENT, {"id": client_gid(books["cm1"])}))["data"]["client"] is None
    assert (await cm2(NODE, {"id": holding_id}))["data"]["node"] is None

    # and each manager's maturing holdings are only their own clients'; the branch head sees both
    def names(body: dict[str, Any]) -> set[str]:
        return {e["node"]["client"]["name"] for e in body["data"]["maturingHoldings"]["edges"]}

    assert names(await cm1(MATURING, {"days": 7})) == {"客户cm1"}
    assert names(await cm2(MATURING, {"days": 7})) == {"客户cm2"}
    head = await as_staff(crm_branch.head)
    assert names(await head(MATURING, {"days": 7})) >= {"客户cm1", "客户cm2"}


async def test_maturing_holdings_respect_the_window(as_staff, crm_branch, books):
    head = await as_staff(crm_branch.head)
    # three days ahead is inside a window of three days, outside one of two
    inside = (await head(MATURING, {"days": 3}))["data"]["maturingHoldings"]
    outside = (await head(MATURING, {"days": 2}))["data"]["maturingHoldings"]
    assert {e["node"]["client"]["name"] for e in inside["edges"]} >= {"客户cm1", "客户cm2"}
    assert not {e["node"]["client"]["name"] for e in outside["edges"]} & {"客户cm1", "客户cm2"}
    assert inside["totalCount"] == len(inside["edges"])
    # a window out of range is a typed error naming the argument
    body = await head(MATURING, {"days": 400})
    assert extensions_of(body["errors"][0]) == {"code": "HOLDING_WITHIN_DAYS", "field": "withinDays"}


async def test_a_teller_sees_no_holdings(as_staff, crm_branch, books):
    teller = await as_staff(crm_branch.teller)
    body = await teller(MATURING, {"days": 7})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await teller(CLIENT, {"id": client_gid(books["cm1"])}))["data"]["client"] is None


@pytest.fixture
async def https(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """OAuth2 refuses plain http off loopback, as behind the production proxy: talk https."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://branchdesk.test") as c:
        yield c


async def test_the_feeds_service_account_records_exchange_rates(rt, https, crm_branch):
    # given the core-banking feed's service account, granted holding:feed by the branch head
    async with acting(rt, crm_branch.branch, crm_branch.head) as (session, head):
        issued = await accounts.create_service_account(
            session, head, "Core banking feed", f"feed-{secrets.token_hex(3)}", ["holding:feed"]
        )
    response = await https.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(issued.account.client_id, issued.client_secret),
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]

    async def post(variables: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}", "X-Branch": crm_branch.code}
        sent = await https.post("/graphql", json={"query": RATES, "variables": variables}, headers=headers)
        return sent.json()

    # when it records the day's rates
    body = await post({"i": {"asOf": "2021-03-01", "rates": [{"currency": "hkd", "rate": "0.8312"}]}})

    # then they are in force on that day
    answer = body["data"]["recordExchangeRates"]
    assert answer["errors"] == []
    assert answer["asOf"] == "2021-03-01"
    assert {"currency": "HKD", "rate": "0.83120000"} in answer["exchangeRates"]

    # and bad rates are typed errors with nothing recorded
    body = await post(
        {"i": {"asOf": "2021-03-02", "rates": [{"currency": "EUR", "rate": "-1"}, {"currency": "CNY", "rate": "1"}]}}
    )
    assert {(e["code"], e["field"]) for e in body["data"]["recordExchangeRates"]["errors"]} == {
        ("EXCHANGE_RATE_NOT_POSITIVE", "rates.EUR"),
        ("EXCHANGE_RATE_OF_BASE", "rates.CNY"),
    }
    body = await post(
        {"i": {"asOf": "2021-03-02", "rates": [{"currency": "GBP", "rate": "9"}, {"currency": "gbp", "rate": "9.1"}]}}
    )
    assert body["data"]["recordExchangeRates"]["errors"] == [{"code": "INVALID_VALUE", "field": "rates"}]


async def test_a_customer_manager_cannot_record_rates(as_staff, crm_branch):
    cm1 = await as_staff(crm_branch.cm1)
    body = await cm1(RATES, {"i": {"asOf": "2021-03-01", "rates": [{"currency": "USD", "rate": "7"}]}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


PAGE = """query($n: Int!) { clients(first: $n) { edges { node { name aum { amount } aumAsOf
  holdings(first: 2) { totalCount edges { node { reference balance { amount currency } product { name } } } } } } } }"""


async def test_a_page_of_clients_with_holdings_and_aum_costs_the_same_for_10_or_40(
    api, rt, world, sql_counter, products
):
    # given a branch of 40 clients, each with one to three holdings
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    manager = await add_member(rt, branch, ["customer_manager"])
    rows = []
    async with rt.db.session(None) as session:
        staff = await tenants.staff_by_employee_number(session, manager)
        by = await enter(rt, session, staff.id, branch.code)
        system = Principal.system("tests", by.branch)
        for i in range(40):
            number = f"P{i:04d}"
            draft = crm.ClientDraft(client_number=number, name=f"持仓{i:03d}", owner_id=staff.id)
            await records.create_client(session, system, draft)
            kinds = (products.deposit, products.time_deposit, products.loan)[: i % 3 + 1]
            rows += [line(f"{number}-{k}", number, code, f"{1000 + i}") for k, code in enumerate(kinds)]
    await apply(rt, branch, date(2026, 11, 27), rows)
    token = await api.token(head)

    async def count(n: int) -> int:
        await api.post(PAGE, {"n": n}, token=token, branch=branch.code)  # warm: branch and policy cached
        sql_counter.count = 0
        with sql_counter:
            body = await api.post(PAGE, {"n": n}, token=token, branch=branch.code)
        assert "errors" not in body, body
        edges = body["data"]["clients"]["edges"]
        assert len(edges) == n and all(e["node"]["holdings"]["edges"] for e in edges)
        assert edges[0]["node"]["aum"]["amount"] == "1000.00"  # 持仓000 holds one deposit of 1,000
        return sql_counter.count

    ten, forty = await count(10), await count(40)
    # entry (1), the page (AUM with the profile), the holdings with their counts, the products: the same for
    # any page size
    assert ten == forty == 4
