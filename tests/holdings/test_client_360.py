"""The client 360 a customer manager opens (the profile, owner and team, tier and AUM, a page of holdings
and one of interactions with their totals, feedback and survey responses) costs a fixed number of
statements whatever the client holds or has logged; the totals come with the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from strawberry import relay

from branchdesk.crm import records
from branchdesk.crm.interactions import service as interactions
from branchdesk.crm.rules import InteractionChannel, InteractionKind
from branchdesk.crm.service import ClientDraft
from branchdesk.segments.scoring import service as scoring
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number
from tests.holdings.conftest import acting, apply, line

pytestmark = pytest.mark.external

CLIENT_360 = """query($id: ID!) { client(id: $id) { id clientNumber name lifecycle kycStatus lastContactAt
  owner { displayName } team { displayName } tier { code } aum { amount currency } aumAsOf
  holdings(first: 10) { totalCount edges { node { reference productCode balance { amount currency } status } } }
  interactions(first: 10) { totalCount edges { node { kind channel occurredAt summary outcome } } }
  feedback { id summary state } surveyResponses { respondedAt answers { question value } } } }"""


async def test_a_client_360_costs_the_same_statements_for_one_holding_or_twelve(api, rt, world, sql_counter, products):
    # given a manager's two clients, co-owned by a colleague: one holds a deposit and was called once, the
    # other holds twelve deposits and was called fifteen times; then the branch is scored
    branch = await onboard(
        rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number("H")
    )
    manager, colleague = [await add_member(rt, branch, ["customer_manager"]) for _ in range(2)]
    now = datetime.now(UTC)
    clients = {}
    async with acting(rt, branch, manager) as (session, by):
        teammate = await tenants.staff_by_employee_number(session, colleague)
        for name, calls in (("单笔", 1), ("多笔", 15)):
            number = f"C{unique_code()}{calls:02d}"
            draft = ClientDraft(client_number=number, name=name, co_owner_ids=[teammate.id])
            made = await records.create_client(session, by, draft)
            for n in range(calls):
                call = interactions.InteractionDraft(
                    made.id, InteractionKind.CALL, InteractionChannel.PHONE, now - timedelta(days=n), f"第{n}次"
                )
                await interactions.log_interaction(session, by, call)
            clients[name] = (made.id, number)
    small, large = clients["单笔"][1], clients["多笔"][1]
    rows = [line(f"{small}-0", small, products.deposit, "60000")]
    rows += [line(f"{large}-{k:02d}", large, products.deposit, "1000") for k in range(12)]
    await apply(rt, branch, now.date(), rows)
    async with acting(rt, branch) as (session, system):
        await scoring.rescore(session, system, "tests")
    token = await api.token(manager)

    async def read(name: str) -> tuple[dict, int]:
        variables = {"id": str(relay.GlobalID("Client", str(clients[name][0])))}
        await api.post(CLIENT_360, variables, token=token, branch=branch.code)  # warm: branch and policy cached
        sql_counter.count = 0
        with sql_counter:
            body = await api.post(CLIENT_360, variables, token=token, branch=branch.code)
        assert "errors" not in body, body
        return body["data"]["client"], sql_counter.count

    # when the manager opens each client
    one, one_count = await read("单笔")
    many, many_count = await read("多笔")

    # then each shows its own totals, the first page of each list, its team, tier and AUM
    assert (one["holdings"]["totalCount"], one["interactions"]["totalCount"]) == (1, 1)
    assert (many["holdings"]["totalCount"], many["interactions"]["totalCount"]) == (12, 15)
    assert len(many["holdings"]["edges"]) == 10 and len(many["interactions"]["edges"]) == 10
    assert many["interactions"]["edges"][0]["node"]["summary"] == "第0次"
    assert [m["displayName"] for m in one["team"]] and one["owner"]["displayName"]
    assert one["aum"] == {"amount": "60000.00", "currency": "CNY"} and one["tier"]["code"] == "gold"
    assert many["aum"]["amount"] == "12000.00" and many["tier"]["code"] == "standard"
    # and costs the same: entry (1), the client with its team, the members (owner and team at once), the
    # score, the ladder, the holdings page with its total, the interactions page with its total, feedback,
    # survey responses
    assert one_count == many_count == 9
