"""The client timeline: logging an interaction within one's data scope, reading it back newest first in
pages from either end, the client's last contact kept with it, and a page of clients with their latest
interactions in a fixed number of statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from branchdesk.access.principal import Principal
from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.crm.interactions import service as interactions
from branchdesk.crm.rules import InteractionChannel, InteractionKind
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, enter, onboard, unique_code, unique_employee_number
from tests.crm.conftest import create

pytestmark = pytest.mark.external

LOG = """mutation($i: LogInteractionInput!) { logInteraction(input: $i) {
  interaction { id kind channel occurredAt summary outcome nextStep nextStepOn products loggedBy { employeeNumber } }
  client { id name interactions(first: 1) { totalCount edges { node { summary } } } }
  errors { code field } } }"""
TIMELINE = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { client(id: $id) {
  interactions(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { summary } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor } } } }"""


def at(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()


def log_input(client_id: str, summary: str, hours_ago: float = 1, **fields) -> dict:
    return {
        "clientId": client_id,
        "kind": "CALL",
        "channel": "PHONE",
        "occurredAt": at(hours_ago),
        "summary": summary,
    } | fields


async def last_contact(rt, client_id: str) -> datetime | None:
    from strawberry import relay

    async with rt.db.platform_session() as session:
        value: datetime | None = await session.scalar(
            text("select last_contact_at from clients where id = :id"),
            {"id": relay.GlobalID.from_id(client_id).node_id},
        )
        return value


async def test_a_customer_manager_logs_a_call_and_reads_the_timeline_back(rt, as_staff, crm_branch):
    # given a client of the first customer manager
    cm1 = await as_staff(crm_branch.cm1)
    client = await create(cm1, name="钱多多")

    # when they log a call with its outcome, next step and the products discussed
    body = await cm1(
        LOG,
        {
            "i": log_input(
                client["id"],
                " 电话回访：定期存款到期 ",
                hours_ago=2,
                outcome="愿意续存",
                nextStep="带资料来网点",
                nextStepOn="2030-01-10",
                products=["td-3y", "WM001", "td-3y"],
            )
        },
    )

    # then the payload returns the interaction, logged by them, and the client with it on the timeline
    payload = body["data"]["logInteraction"]
    assert payload["errors"] == []
    logged = payload["interaction"]
    assert logged["kind"] == "CALL" and logged["channel"] == "PHONE"
    assert logged["summary"] == "电话回访：定期存款到期" and logged["outcome"] == "愿意续存"
    assert logged["nextStep"] == "带资料来网点" and logged["nextStepOn"] == "2030-01-10"
    assert logged["products"] == ["TD-3Y", "WM001"]
    assert logged["loggedBy"]["employeeNumber"] == crm_branch.cm1
    assert payload["client"]["interactions"]["totalCount"] == 1

    # and the client's last contact is the call's time; an older visit logged later leaves it alone
    first_contact = await last_contact(rt, client["id"])
    assert first_contact == datetime.fromisoformat(logged["occurredAt"])
    older = await cm1(
        LOG, {"i": log_input(client["id"], "上周拜访", hours_ago=24 * 7, kind="VISIT", channel="ON_SITE")}
    )
    assert older["data"]["logInteraction"]["errors"] == []
    assert await last_contact(rt, client["id"]) == first_contact

    # and the timeline reads newest first, page by page from either end
    await cm1(LOG, {"i": log_input(client["id"], "刚才的短信", hours_ago=0.1, kind="MESSAGE", channel="SMS")})
    page1 = (await cm1(TIMELINE, {"id": client["id"], "first": 2}))["data"]["client"]["interactions"]
    assert [e["node"]["summary"] for e in page1["edges"]] == ["刚才的短信", "电话回访：定期存款到期"]
    assert page1["totalCount"] == 3 and page1["pageInfo"]["hasNextPage"]
    after = page1["pageInfo"]["endCursor"]
    page2 = (await cm1(TIMELINE, {"id": client["id"], "first": 2, "after": after}))["data"]["client"]["interactions"]
    assert [e["node"]["summary"] for e in page2["edges"]] == ["上周拜访"]
    assert not page2["pageInfo"]["hasNextPage"] and page2["pageInfo"]["hasPreviousPage"]
    tail = (await cm1(TIMELINE, {"id": client["id"], "last": 2}))["data"]["client"]["interactions"]
    assert [e["node"]["summary"] for e in tail["edges"]] == ["电话回访：定期存款到期", "上周拜访"]
    assert tail["pageInfo"]["hasPreviousPage"]
    before = tail["pageInfo"]["startCursor"]
    back = (await cm1(TIMELINE, {"id": client["id"], "last": 5, "before": before}))["data"]["client"]["interactions"]
    assert [e["node"]["summary"] for e in back["edges"]] == ["刚才的短信"]


async def test_bad_input_is_a_typed_error_naming_the_field_and_nothing_is_written(rt, as_staff, crm_branch):
    cm1 = await as_staff(crm_branch.cm1)
    client = await create(cm1)

    future = await cm1(LOG, {"i": log_input(client["id"], "明天的电话", hours_ago=-24)})
    assert future["data"]["logInteraction"]["errors"] == [{"code": "INTERACTION_IN_FUTURE", "field": "occurredAt"}]
    empty = await cm1(LOG, {"i": log_input(client["id"], "   ")})
    assert empty["data"]["logInteraction"]["errors"] == [{"code": "INTERACTION_SUMMARY_EMPTY", "field": "summary"}]
    too_long = await cm1(LOG, {"i": log_input(client["id"], "长" * 2001)})
    assert too_long["data"]["logInteraction"] is None or too_long["data"]["logInteraction"]["interaction"] is None
    assert "summary" in str(too_long)
    unknown = await cm1(LOG, {"i": log_input(client["id"], "x", kind="TELEPATHY")})
    assert "errors" in unknown and unknown.get("data") is None  # not in the enum: the schema refuses it

    timeline = (await cm1(TIMELINE, {"id": client["id"], "first": 5}))["data"]["client"]["interactions"]
    assert timeline["totalCount"] == 0
    assert await last_contact(rt, client["id"]) is None


async def test_a_client_outside_ones_scope_or_branch_is_not_found(api, world, as_staff, crm_branch):
    # given a client of the second customer manager
    cm1, cm2 = await as_staff(crm_branch.cm1), await as_staff(crm_branch.cm2)
    theirs = await create(cm2, name="孙丽")
    await cm2(LOG, {"i": log_input(theirs["id"], "他人的客户")})

    # then the first customer manager can neither log on it nor read its timeline
    refused = await cm1(LOG, {"i": log_input(theirs["id"], "不是我的")})
    assert refused["data"]["logInteraction"] == {
        "interaction": None,
        "client": None,
        "errors": [{"code": "NOT_FOUND", "field": "clientId"}],
    }
    assert (await cm1(TIMELINE, {"id": theirs["id"], "first": 5}))["data"]["client"] is None

    # and the head of another branch, who sees all of theirs, finds nothing of this branch
    token = await api.token(world.head_a)
    other = await api.post(LOG, {"i": log_input(theirs["id"], "跨网点")}, token=token, branch=world.branch_a.code)
    assert other["data"]["logInteraction"]["errors"] == [{"code": "NOT_FOUND", "field": "clientId"}]

    # while this branch's head, whose scope is the branch, may log on it
    head = await as_staff(crm_branch.head)
    logged = await head(LOG, {"i": log_input(theirs["id"], "支行长回访")})
    assert logged["data"]["logInteraction"]["errors"] == []
    assert (await cm2(TIMELINE, {"id": theirs["id"], "first": 5}))["data"]["client"]["interactions"]["totalCount"] == 2


async def test_a_teller_may_not_log_interactions(as_staff, crm_branch):
    cm1, teller = await as_staff(crm_branch.cm1), await as_staff(crm_branch.teller)
    client = await create(cm1)
    refused = await teller(LOG, {"i": log_input(client["id"], "柜台")})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


PAGE = """query($n: Int!) { clients(first: $n) { edges { node {
  id name interactions(first: 3) { totalCount edges { node { summary loggedBy { employeeNumber } } } } } } } }"""


async def test_a_page_of_clients_with_their_latest_interactions_costs_the_same_for_10_or_50(
    api, rt, world, sql_counter
):
    # given a branch of 50 clients, each with a few interactions logged by their manager
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    manager = await add_member(rt, branch, ["customer_manager"])
    async with rt.db.session(None) as session:
        staff = await tenants.staff_by_employee_number(session, manager)
        by = await enter(rt, session, staff.id, branch.code)
        system = Principal.system("tests", by.branch)
        for i in range(50):
            draft = crm.ClientDraft(client_number=f"T{i:04d}", name=f"时间线{i:03d}", owner_id=staff.id)
            client = await records.create_client(session, system, draft)
            for h in range(i % 4 + 1):
                when = datetime.now(UTC) - timedelta(days=h)
                note = interactions.InteractionDraft(
                    client.id, InteractionKind.CALL, InteractionChannel.PHONE, when, f"第{h}次"
                )
                await interactions.log_interaction(session, by, note)
    token = await api.token(head)

    async def count(n):
        await api.post(PAGE, {"n": n}, token=token, branch=branch.code)  # warm: branch and policy cached
        sql_counter.count = 0
        with sql_counter:
            body = await api.post(PAGE, {"n": n}, token=token, branch=branch.code)
        assert "errors" not in body, body
        edges = body["data"]["clients"]["edges"]
        assert len(edges) == n and all(e["node"]["interactions"]["edges"] for e in edges)
        assert all(e["node"]["interactions"]["edges"][0]["node"]["summary"] == "第0次" for e in edges)
        return sql_counter.count

    ten, fifty = await count(10), await count(50)
    # entry (1), the page, the timelines with their counts, the members who logged them: the same for any page size
    assert ten == fifty == 4
