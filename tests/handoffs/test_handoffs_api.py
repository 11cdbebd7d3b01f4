"""Handoffs through the API: raised by the lobby and worked by the customer manager with typed refusals,
the list's filters and both-way pages, a client's handoffs and its routing card's open work, the
statements a page costs, and the live ``handoffAssigned`` feed delivered to the assignee only."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from strawberry import relay
from websockets.asyncio.client import connect

from branchdesk.api import create_app
from tests.conftest import make_settings
from tests.graphql.test_subscriptions import listening
from tests.graphql.test_websocket import _serve
from tests.handoffs.conftest import client_of

pytestmark = pytest.mark.external

FIELDS = (
    "id state routedBy overdue dueAt outcome converted productCode amount declineReason assignee { employeeNumber }"
)
RAISE = f"""mutation($i: RaiseHandoffInput!) {{ raiseHandoff(input: $i) {{
  handoff {{ {FIELDS} type {{ code referral }} client {{ id }} }} errors {{ code field message }} }} }}"""
STEP = """mutation($i: HandoffStepInput!) {{ {name}(input: $i) {{
  handoff {{ id state }} errors {{ code field message }} }} }}"""
COMPLETE = f"""mutation($i: CompleteHandoffInput!) {{ completeHandoff(input: $i) {{
  handoff {{ {FIELDS} }} errors {{ code field message }} }} }}"""
LIST = """query($f: HandoffFilter, $first: Int, $last: Int, $after: String, $before: String, $o: HandoffOrder) {
  handoffs(filter: $f, first: $first, last: $last, after: $after, before: $before, orderBy: $o) {
  totalCount edges { cursor node { id description } } pageInfo { hasNextPage hasPreviousPage } } }"""
CLIENT = """query($id: ID!) { client(id: $id) { id handoffs { id state } } }"""
CARD = """query($id: ID!) { clientRoutingCard(clientId: $id) { maskedName openWork } }"""
ASSIGNED = "subscription { handoffAssigned { handoffId type assignedAt } }"


async def _as(api, team, number):
    token = await api.token(number)
    return lambda query, variables=None: api.post(query, variables, token=token, branch=team.branch.code)


def _gid(kind: str, value: Any) -> str:
    return str(relay.GlobalID(kind, str(value)))


async def _raised(post, **fields):
    body = await post(RAISE, {"i": {"type": "referral", "description": "客户咨询大额存单", **fields}})
    payload = body["data"]["raiseHandoff"]
    assert payload["errors"] == [], payload
    return payload["handoff"]


async def test_a_referral_from_the_lobby_converted_by_the_owner(rt, api, team):
    client = await client_of(rt, team, team.cm1)
    lobby, cm1 = await _as(api, team, team.lobby), await _as(api, team, team.cm1)
    # the lobby manager refers a client they only know by routing card
    made = await _raised(lobby, clientId=_gid("Client", client))
    assert (made["state"], made["routedBy"], made["assignee"]["employeeNumber"]) == (
        "SUBMITTED",
        "CLIENT_OWNER",
        team.cm1,
    )
    assert made["type"] == {"code": "referral", "referral": True} and made["overdue"] is False
    assert made["client"] is None  # the lobby manager reads no profile
    # starting before accepting is refused, naming the state
    body = await cm1(STEP.format(name="startHandoff"), {"i": {"id": made["id"]}})
    refusal = body["data"]["startHandoff"]
    assert refusal["handoff"] is None
    assert [(e["code"], e["field"]) for e in refusal["errors"]] == [("HANDOFF_TRANSITION_REFUSED", "id")]
    assert "submitted" in refusal["errors"][0]["message"]
    for name, state in (("acceptHandoff", "ACCEPTED"), ("startHandoff", "IN_PROGRESS")):
        body = await cm1(STEP.format(name=name), {"i": {"id": made["id"]}})
        assert body["data"][name]["handoff"] == {"id": made["id"], "state": state}
    # completing without saying whether it converted is a typed error; with it, the outcome is kept
    body = await cm1(COMPLETE, {"i": {"id": made["id"], "outcome": "聊过"}})
    assert [(e["code"], e["field"]) for e in body["data"]["completeHandoff"]["errors"]] == [
        ("HANDOFF_OUTCOME_REQUIRED", "converted")
    ]
    done = {"id": made["id"], "outcome": "购买大额存单", "converted": True, "productCode": "CD-3Y", "amount": "300000"}
    body = await cm1(COMPLETE, {"i": done})
    handoff = body["data"]["completeHandoff"]["handoff"]
    assert (handoff["state"], handoff["converted"], handoff["productCode"]) == ("DONE", True, "CD-3Y")
    assert float(handoff["amount"]) == 300000
    # the client's page shows it to the owner; the routing card counts open work only
    shown = (await cm1(CLIENT, {"id": _gid("Client", client)}))["data"]["client"]["handoffs"]
    assert shown == [{"id": made["id"], "state": "DONE"}]
    assert (await lobby(CARD, {"id": _gid("Client", client)}))["data"]["clientRoutingCard"]["openWork"] == 0
    await _raised(lobby, clientId=_gid("Client", client), description="再次到访")
    assert (await lobby(CARD, {"id": _gid("Client", client)}))["data"]["clientRoutingCard"]["openWork"] == 1


async def test_the_list_filters_and_pages_both_ways(rt, api, team):
    teller, it, head = [await _as(api, team, n) for n in (team.teller, team.it, team.head)]
    made = [await _raised(teller, type="it_help", description=f"工单{n}") for n in range(5)]
    await _raised(teller, type="client_service", description="需要大堂协助")
    # IT support: five assigned to them, newest first, read from both ends
    page = (await it(LIST, {"f": {"mine": True}, "first": 2}))["data"]["handoffs"]
    assert page["totalCount"] == 5 and [e["node"]["description"] for e in page["edges"]] == ["工单4", "工单3"]
    assert page["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    rest = (await it(LIST, {"f": {"mine": True}, "first": 5, "after": page["edges"][-1]["cursor"]}))["data"]
    assert [e["node"]["description"] for e in rest["handoffs"]["edges"]] == ["工单2", "工单1", "工单0"]
    tail = (await it(LIST, {"f": {"mine": True}, "last": 2}))["data"]["handoffs"]
    assert [e["node"]["description"] for e in tail["edges"]] == ["工单1", "工单0"]
    assert tail["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
    back = (await it(LIST, {"f": {"mine": True}, "last": 2, "before": tail["edges"][0]["cursor"]}))["data"]
    assert [e["node"]["description"] for e in back["handoffs"]["edges"]] == ["工单3", "工单2"]
    # IT support does not see the lobby's; the teller sees all six they raised; the head sees the branch's
    assert (await it(LIST, {"f": {"type": "client_service"}}))["data"]["handoffs"]["totalCount"] == 0
    assert (await teller(LIST, {"f": {"raisedByMe": True}}))["data"]["handoffs"]["totalCount"] == 6
    assert (await head(LIST, {"f": {"state": "SUBMITTED"}}))["data"]["handoffs"]["totalCount"] == 6
    # by due time, ascending: the client-service help (2 business hours) comes first
    by_due = {"field": "DUE_AT", "direction": "ASC"}
    first = (await head(LIST, {"o": by_due, "first": 1}))["data"]["handoffs"]["edges"][0]["node"]
    assert first["description"] == "需要大堂协助"
    assert (await head(LIST, {"f": {"overdue": True}}))["data"]["handoffs"]["totalCount"] == 0
    # a type that is not on the list is refused, naming the field
    body = await head(LIST, {"f": {"type": "nope"}})
    assert body["errors"][0]["extensions"]["code"] == "HANDOFF_UNKNOWN_TYPE"
    assert made[0]["id"] not in [e["node"]["id"] for e in page["edges"]]


async def test_a_page_of_handoffs_costs_a_pinned_number_of_statements(rt, api, team, sql_counter):
    teller = await _as(api, team, team.teller)
    for n in range(3):
        await _raised(teller, type="it_help", description=f"工单{n}")
    query = """{ handoffs(first: 20) { edges { node { id state dueAt type { code } assignee { employeeNumber }
      raisedByMember { employeeNumber } escalation { dueAt } } } } }"""
    counted = "{ handoffs(first: 20) { totalCount edges { node { id } } } }"
    for number, expected, with_total in ((team.head, 5, 3), (team.it, 6, 5)):
        token = await api.token(number)
        await api.post(query, token=token, branch=team.branch.code)  # warm: policy and branch code cached
        sql_counter.count = 0
        with sql_counter:
            body = await api.post(query, token=token, branch=team.branch.code)
        assert len(body["data"]["handoffs"]["edges"]) == 3
        # entry (1), [the caller's roles, without handoff:read], the page, the types, the members, the escalations
        assert sql_counter.count == expected
        sql_counter.count = 0
        with sql_counter:
            body = await api.post(counted, token=token, branch=team.branch.code)
        assert body["data"]["handoffs"]["totalCount"] == 3
        assert sql_counter.count == with_total  # entry, [roles], the page, the count [, the roles again]


@pytest.fixture(scope="module")
async def live(rt: Any, servers: Any) -> AsyncIterator[str]:
    async for address in _serve(create_app(make_settings(servers), rt)):
        yield f"ws://{address}/graphql"


async def _subscribe(api, url, number, branch_code):
    ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    payload = {"Authorization": f"Bearer {await api.token(number)}", "X-Branch": branch_code}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    op = uuid.uuid4().hex
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": ASSIGNED}}))
    return ws, op


async def _next(ws, op, wait=20.0):
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), wait))
        if message.get("id") == op:
            return message


async def test_the_assignee_receives_the_handoff_live_and_nobody_else_does(rt, api, live, team):
    it_ws, it_op = await _subscribe(api, live, team.it, team.branch.code)
    cm_ws, cm_op = await _subscribe(api, live, team.cm1, team.branch.code)
    await listening(rt, team.branch.id, 2)
    teller = await _as(api, team, team.teller)
    made = await _raised(teller, type="it_help", description="叫号机故障")
    message = await _next(it_ws, it_op)
    assert message["type"] == "next", message
    assert message["payload"]["data"]["handoffAssigned"]["handoffId"] == made["id"]
    assert message["payload"]["data"]["handoffAssigned"]["type"] == "it_help"
    # the customer manager heard nothing of it
    with pytest.raises(TimeoutError):
        await _next(cm_ws, cm_op, wait=1.5)
    await it_ws.close()
    await cm_ws.close()
