"""Visits and the queue through the API: the lobby manager registers, a teller calls and serves, the
board and list show it; typed errors in payloads; another branch's visit is not found; statement counts
of the hot reads are pinned; ``queueChanged`` reaches a subscriber of the branch, and only of it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import connect

from branchdesk.api import create_app
from tests.conftest import make_settings
from tests.crm.conftest import create, mobile
from tests.graphql.test_subscriptions import listening
from tests.graphql.test_websocket import _serve
from tests.visits.conftest import make_floor

pytestmark = pytest.mark.external

VISIT = """id line ticketNumber state anonymous purpose
  tickets { number state transferredTo note servedBy { employeeNumber } }"""
REGISTER = f"""mutation($i: RegisterVisitInput!) {{ registerVisit(input: $i) {{
  visit {{ {VISIT} client {{ id }} }} errors {{ code field message }} }} }}"""
CALL = f"""mutation($i: CallNextTicketInput!) {{ callNextTicket(input: $i) {{
  visit {{ {VISIT} }} errors {{ code field message }} }} }}"""
STEP = """mutation($i: VisitStepInput!) {{ {name}(input: $i) {{
  visit {{ id state }} errors {{ code field message }} }} }}"""
TRANSFER = f"""mutation($i: TransferTicketInput!) {{ transferTicket(input: $i) {{
  visit {{ {VISIT} }} errors {{ code field message }} }} }}"""
END = """mutation($i: EndVisitInput!) { endVisit(input: $i) {
  visit { id state servicesDone productsOfInterest referralRaised referralNote surveySent } errors { code field } } }"""
BOARD = """query($l: ServiceLine!) { queueBoard(line: $l) { line waitingCount estimatedWaitMinutes
  waiting { ahead estimatedWaitMinutes ticket { number visit { id } } } beingServed { number state } } }"""
LIST = """query($f: VisitFilter, $first: Int, $last: Int, $after: String, $before: String, $o: VisitOrder) {
  visits(filter: $f, first: $first, last: $last, after: $after, before: $before, orderBy: $o) {
  totalCount edges { cursor node { id ticketNumber } } pageInfo { hasNextPage hasPreviousPage } } }"""


@pytest.fixture(scope="module")
async def api_floor(rt, world):
    return await make_floor(rt, world)


def poster(api, floor):
    async def sign_in(employee_number: str, branch: str | None = None):
        token = await api.token(employee_number)
        return lambda query, variables=None: api.post(query, variables, token=token, branch=branch or floor.code)

    return sign_in


async def _ok(post, query, variables, name):
    body = await post(query, variables)
    payload = body["data"][name]
    assert payload["errors"] == [], payload
    return payload["visit"]


async def test_a_walk_in_from_the_lobby_to_the_counter_and_on_to_a_customer_manager(api, floor):
    as_ = poster(api, floor)
    lobby, teller, cm = await as_(floor.lobby), await as_(floor.teller1), await as_(floor.cm)

    # the lobby manager registers an anonymous walk-in for the counter
    visit = await _ok(
        lobby, REGISTER, {"i": {"purpose": "CASH", "line": "COUNTER", "note": "取现 5 万"}}, "registerVisit"
    )
    assert (visit["ticketNumber"], visit["state"], visit["anonymous"], visit["client"]) == (
        "A001",
        "WAITING",
        True,
        None,
    )
    board = (await lobby(BOARD, {"l": "COUNTER"}))["data"]["queueBoard"]
    assert (board["waitingCount"], board["waiting"][0]["ticket"]["visit"]["id"]) == (1, visit["id"])

    # the teller calls and serves, then sends the client to a customer manager
    called = await _ok(teller, CALL, {"i": {"line": "COUNTER"}}, "callNextTicket")
    assert (called["id"], called["state"]) == (visit["id"], "CALLED")
    started = await _ok(teller, STEP.format(name="startService"), {"i": {"visitId": visit["id"]}}, "startService")
    assert started["state"] == "SERVING"
    moved = await _ok(
        teller, TRANSFER, {"i": {"visitId": visit["id"], "line": "CUSTOMER_MANAGER", "note": "理财"}}, "transferTicket"
    )
    assert (moved["id"], moved["ticketNumber"], moved["state"]) == (visit["id"], "B001", "WAITING")
    assert [(t["number"], t["state"], t["transferredTo"]) for t in moved["tickets"]] == [
        ("A001", "TRANSFERRED", "CUSTOMER_MANAGER"),
        ("B001", "WAITING", None),
    ]
    assert moved["tickets"][0]["servedBy"]["employeeNumber"] == floor.teller1

    # the customer manager ends it with the outcome; a referral needs its note
    await _ok(cm, CALL, {"i": {"line": "CUSTOMER_MANAGER"}}, "callNextTicket")
    await _ok(cm, STEP.format(name="startService"), {"i": {"visitId": visit["id"]}}, "startService")
    refused = (await cm(END, {"i": {"visitId": visit["id"], "referralRaised": True}}))["data"]["endVisit"]
    assert refused == {"visit": None, "errors": [{"code": "VISIT_REFERRAL_NOTE_REQUIRED", "field": "referralNote"}]}
    outcome = {"servicesDone": ["理财咨询"], "productsOfInterest": ["稳健理财"], "referralRaised": True}
    ended = await _ok(
        cm, END, {"i": {"visitId": visit["id"], **outcome, "referralNote": "50 万到期", "surveySent": True}}, "endVisit"
    )
    assert ended == {
        "id": visit["id"],
        "state": "SERVED",
        "servicesDone": ["理财咨询"],
        "productsOfInterest": ["稳健理财"],
        "referralRaised": True,
        "referralNote": "50 万到期",
        "surveySent": True,
    }


async def test_typed_errors_in_the_payload(api, floor):
    as_ = poster(api, floor)
    lobby, teller, cm = await as_(floor.lobby), await as_(floor.teller1), await as_(floor.cm)

    empty = (await teller(CALL, {"i": {"line": "SELF_SERVICE"}}))["data"]["callNextTicket"]
    assert empty["visit"] is None and [(e["code"], e["field"]) for e in empty["errors"]] == [("QUEUE_EMPTY", "line")]
    not_yours = (await cm(CALL, {"i": {"line": "COUNTER"}}))["data"]["callNextTicket"]
    assert [e["code"] for e in not_yours["errors"]] == ["QUEUE_LINE_NOT_YOURS"]
    visit = await _ok(lobby, REGISTER, {"i": {"purpose": "TRANSFER", "line": "COUNTER"}}, "registerVisit")
    early = (await teller(STEP.format(name="startService"), {"i": {"visitId": visit["id"]}}))["data"]["startService"]
    assert [(e["code"], e["field"]) for e in early["errors"]] == [("VISIT_TRANSITION_REFUSED", "visitId")]
    assert "is waiting" in early["errors"][0]["message"]
    unknown = (await lobby(REGISTER, {"i": {"purpose": "CASH", "line": "COUNTER", "phone": mobile()}}))["data"]
    assert [(e["code"], e["field"]) for e in unknown["registerVisit"]["errors"]] == [("NOT_FOUND", "phone")]


async def test_another_branchs_visit_is_not_found(api, rt, world, floor):
    other = await make_floor(rt, world)
    theirs = await _ok(
        await poster(api, other)(other.lobby), REGISTER, {"i": {"purpose": "CASH", "line": "COUNTER"}}, "registerVisit"
    )
    head = await poster(api, floor)(floor.head)

    assert (await head("query($id: ID!) { visit(id: $id) { id } }", {"id": theirs["id"]}))["data"]["visit"] is None
    for name in ("startService", "markNoShow"):
        body = (await head(STEP.format(name=name), {"i": {"visitId": theirs["id"]}}))["data"][name]
        assert [(e["code"], e["field"]) for e in body["errors"]] == [("NOT_FOUND", "visitId")]
    called = (await head(CALL, {"i": {"line": "COUNTER", "visitId": theirs["id"]}}))["data"]["callNextTicket"]
    assert [e["code"] for e in called["errors"]] == ["NOT_FOUND"]
    assert (await head(LIST, {}))["data"]["visits"]["totalCount"] == 0


async def test_the_list_pages_both_ways_and_a_client_shows_their_visits(api, floor):
    as_ = poster(api, floor)
    lobby, cm, head = await as_(floor.lobby), await as_(floor.cm), await as_(floor.head)
    client = await create(cm, name="周到")
    made = [
        await _ok(lobby, REGISTER, {"i": {"purpose": "CASH", "line": "COUNTER", **extra}}, "registerVisit")
        for extra in ({"clientId": client["id"]}, {}, {}, {"clientId": client["id"]})
    ]

    first = (await head(LIST, {"first": 3, "o": {"field": "REGISTERED_AT", "direction": "ASC"}}))["data"]["visits"]
    assert [e["node"]["id"] for e in first["edges"]] == [v["id"] for v in made[:3]]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (4, True)
    tail = (await head(LIST, {"last": 2, "before": first["edges"][2]["cursor"], "o": {"direction": "ASC"}}))["data"]
    assert [e["node"]["id"] for e in tail["visits"]["edges"]] == [v["id"] for v in made[:2]]
    waiting = (await head(LIST, {"f": {"state": "WAITING", "line": "COUNTER"}}))["data"]["visits"]["totalCount"]
    assert waiting == 4
    mine = (await cm("query($id: ID!) { client(id: $id) { visits { id } } }", {"id": client["id"]}))["data"]
    assert [v["id"] for v in mine["client"]["visits"]] == [made[3]["id"], made[0]["id"]]


PAGE = """query($n: Int) { visits(first: $n) { edges { node { id ticketNumber client { id }
  registeredBy { employeeNumber } tickets { number servedBy { employeeNumber } } } } } }"""
BOARDS = """{ queueBoards { line waitingCount estimatedWaitMinutes waiting { ticket { number visit { id purpose } } }
  beingServed { number servedBy { employeeNumber } } } }"""


async def _count(api, sql_counter, query, token, branch, variables=None):
    await api.post(query, variables, token=token, branch=branch)  # warm: policy and branch code cached
    sql_counter.count = 0
    with sql_counter:
        body = await api.post(query, variables, token=token, branch=branch)
    assert "errors" not in body, body
    return sql_counter.count, body


async def test_the_hot_reads_cost_pinned_statements_whatever_their_size(api, rt, world, sql_counter):
    floor = await make_floor(rt, world)
    lobby = await poster(api, floor)(floor.lobby)
    teller = await poster(api, floor)(floor.teller1)
    token = await api.token(floor.head)
    for _ in range(6):
        await _ok(lobby, REGISTER, {"i": {"purpose": "CASH", "line": "COUNTER"}}, "registerVisit")
    await _ok(teller, CALL, {"i": {"line": "COUNTER"}}, "callNextTicket")

    counts = []
    for size in (2, 6):
        count, body = await _count(api, sql_counter, PAGE, token, floor.code, {"n": size})
        assert len(body["data"]["visits"]["edges"]) == size
        counts.append(count)
    # entry (1), the page, then one batch each: members, tickets (walk-ins: no client to read)
    assert counts == [4, 4]
    count, body = await _count(api, sql_counter, BOARDS, token, floor.code)
    assert [b["waitingCount"] for b in body["data"]["queueBoards"]] == [5, 0, 0, 0]
    # entry (1), the local day, the open tickets, the boards' figures, then the waiting tickets' visits in one
    # batch (the ticket called is not in service yet: nobody serves it to read)
    assert count == 5
    call_token = await api.token(floor.teller1)
    count, _ = await _count(api, sql_counter, CALL, call_token, floor.code, {"i": {"line": "COUNTER"}})
    # entry (1), the mutation's savepoint, the call (one statement, the visit returned), the audit record
    # (lock, last, insert), the savepoint released, then the payload's visit and its tickets
    assert count == 9


QUEUE_CHANGED = "subscription($l: ServiceLine) { queueChanged(line: $l) { line visitId action } }"


@pytest.fixture(scope="module")
async def live(rt: Any, servers: Any) -> AsyncIterator[str]:
    async for address in _serve(create_app(make_settings(servers), rt)):
        yield f"ws://{address}/graphql"


async def _subscribe(api, url, employee_number, branch_code, line=None):
    ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    token = await api.token(employee_number)
    await ws.send(
        json.dumps(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}", "X-Branch": branch_code}}
        )
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    op = uuid.uuid4().hex
    variables = {"l": line} if line else {}
    await ws.send(
        json.dumps({"id": op, "type": "subscribe", "payload": {"query": QUEUE_CHANGED, "variables": variables}})
    )
    return ws, op


async def _next(ws, op, wait=20.0):
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), wait))
        if message.get("id") == op:
            return message


async def test_queue_changed_reaches_the_branchs_subscribers_of_the_line_only(api, rt, world, live):
    floor, other = await make_floor(rt, world), await make_floor(rt, world)
    teller_ws, teller_op = await _subscribe(api, live, floor.teller1, floor.code, "COUNTER")
    vip_ws, vip_op = await _subscribe(api, live, floor.cm, floor.code, "VIP_ROOM")
    theirs_ws, theirs_op = await _subscribe(api, live, other.teller1, other.code)
    await listening(rt, floor.branch.id, 2)
    await listening(rt, other.branch.id)

    lobby = await poster(api, floor)(floor.lobby)
    visit = await _ok(lobby, REGISTER, {"i": {"purpose": "CASH", "line": "COUNTER"}}, "registerVisit")

    message = await _next(teller_ws, teller_op)
    assert message["payload"]["data"]["queueChanged"] == {
        "line": "COUNTER",
        "visitId": visit["id"],
        "action": "registered",
    }
    for ws, op in ((vip_ws, vip_op), (theirs_ws, theirs_op)):
        with pytest.raises(TimeoutError):
            await _next(ws, op, wait=1.0)
    for ws in (teller_ws, vip_ws, theirs_ws):
        await ws.close()


async def test_a_risk_officer_may_not_watch_the_queue(api, rt, world, live):
    floor = await make_floor(rt, world)
    ws, op = await _subscribe(api, live, floor.risk, floor.code)
    message = await _next(ws, op)
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    await ws.close()
