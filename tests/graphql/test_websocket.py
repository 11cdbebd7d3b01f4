"""GraphQL over WebSocket (graphql-transport-ws), through a real client against the running app: every
operation on an open connection is authenticated, enters its branch and is authorised on its own, and
its errors go through the same pipeline as over HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from branchdesk.api import create_app
from branchdesk.platform.audit import AuditEvent
from branchdesk.tenants.models import Staff
from tests.conftest import make_settings, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external
PHONE = "{ staff(first: 100) { edges { node { employeeNumber phone } } } }"


async def _serve(app: Any) -> AsyncIterator[str]:
    """The app served by uvicorn on a free loopback port, in the tests' event loop."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event, for "listening"
        await asyncio.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="module")
async def live(rt: Any, servers: Any) -> AsyncIterator[str]:
    async for address in _serve(create_app(make_settings(servers), rt)):
        yield f"ws://{address}/graphql"


@pytest.fixture(scope="module")
async def live_production(rt: Any, servers: Any) -> AsyncIterator[str]:
    production = make_settings(servers, env="production", signing_keys="{}", db_role_password="s3cret")
    async for address in _serve(create_app(production, rt)):
        yield address


class Socket:
    """A minimal graphql-transport-ws client."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def run(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        op = uuid.uuid4().hex
        await self.ws.send(
            json.dumps({"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
        )
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            if message.get("id") != op:
                continue
            if message["type"] == "next":
                return message["payload"]
            if message["type"] == "error":
                return {"data": None, "errors": message["payload"]}


async def open_socket(url: str, **params: str) -> Socket:
    ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": params}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ack["type"] == "connection_ack", ack
    return Socket(ws)


@pytest.fixture
async def branch(rt: Any, world: Any) -> Any:
    head = unique_employee_number("W")
    created = await onboard(rt, unique_code(), world.head_office.level.TIER1_BRANCH, world.head_office.code, head)
    async with rt.db.session(None) as session:
        staff = await session.scalar(select(Staff).where(Staff.employee_number == head))
        staff.phone = "13812345678"
    created.head = head
    return created


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def test_the_token_in_connection_init_authenticates_each_operation(api, live, branch):
    token = await api.token(branch.head)
    ws = await open_socket(live, Authorization=f"Bearer {token}", **{"X-Branch": branch.code})
    body = await ws.run("{ me { employeeNumber } }")
    assert body["data"]["me"]["employeeNumber"] == branch.head


async def test_a_revoked_permission_is_enforced_on_an_open_connection_and_unmasked_reads_are_audited(
    api, rt, live, branch
):
    token = await api.token(branch.head)
    ws = await open_socket(live, Authorization=f"Bearer {token}", **{"X-Branch": branch.code})

    async def audited() -> int:
        async with rt.db.session(branch.id) as session:
            return await session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "staff.pii_unmasked")
            )

    await add_colleague_with_phone(rt, branch)
    own, colleague = "13812345678", "13987654321"
    first, second = await ws.run(PHONE), await ws.run(PHONE)
    assert sorted(e["node"]["phone"] for e in first["data"]["staff"]["edges"]) == [own, colleague]
    assert second == first
    assert await audited() == 2  # one record for each operation that showed personal data

    # when the branch takes staff.pii:read away from branch heads (over HTTP), the open socket follows
    revoke = """mutation { revokeRolePermission(input: {role: "branch_head", permission: "staff.pii:read"})
                { errors { code } } }"""
    assert (await api.post(revoke, token=token, branch=branch.code))["data"]["revokeRolePermission"]["errors"] == []
    await asyncio.sleep(0.2)  # the policy change reaches every process through Redis
    # the branch head still sees their own record whole, and the colleague's masked
    third = await ws.run(PHONE)
    phones = sorted(e["node"]["phone"] for e in third["data"]["staff"]["edges"])
    assert phones == [own, "139****4321"]
    assert await audited() == 3  # the own record is shown unmasked (and audited), the colleague masked


async def add_colleague_with_phone(rt: Any, branch: Any) -> None:
    from tests.conftest import add_member

    number = await add_member(rt, branch, ["teller"])
    async with rt.db.session(None) as session:
        staff = await session.scalar(select(Staff).where(Staff.employee_number == number))
        staff.phone = "13987654321"


async def test_a_suspended_branch_is_refused_on_an_open_connection(api, live, branch, world):
    token = await api.token(branch.head)
    ws = await open_socket(live, Authorization=f"Bearer {token}", **{"X-Branch": branch.code})
    assert codes(await ws.run("{ staff(first: 1) { edges { cursor } } }")) == []

    admin = await api.token(world.ho_admin)
    suspend = "mutation($c: String!) { suspendBranch(input: {code: $c}) { errors { code } } }"
    assert (await api.post(suspend, {"c": branch.code}, token=admin, branch=world.head_office.code))["data"]
    assert codes(await ws.run("{ staff(first: 1) { edges { cursor } } }")) == ["BRANCH_SUSPENDED"]


async def test_an_expired_token_is_refused_and_the_socket_closed(rt, live, branch):
    async with rt.db.session(None) as session:
        staff = await session.scalar(select(Staff).where(Staff.employee_number == branch.head))
    token, _ = rt.keys.issue_access_token(staff.id, ttl_seconds=1)
    ws = await open_socket(live, Authorization=f"Bearer {token}", **{"X-Branch": branch.code})
    await asyncio.sleep(1.5)
    with pytest.raises(ConnectionClosed) as closed:
        await ws.run("{ me { employeeNumber } }")
        await ws.run("{ me { employeeNumber } }")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_connection_with_a_forged_token_is_refused(live):
    ws = await connect(live, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer not.a.token"}}))
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


# The same cases, over HTTP and over WebSocket: codes, translation, masking, no data after a rollback.
CASES = [
    ("a typed refusal", "{ staff(first: 101) { edges { cursor } } }", "PAGE_SIZE_EXCEEDED"),
    ("no token for a guarded field", "{ staff(first: 1) { edges { cursor } } }", "UNAUTHENTICATED"),
    ("an invalid document", "{ staff(first: 1) { edges { nosuchfield } } }", "GRAPHQL_VALIDATION_FAILED"),
]


@pytest.mark.parametrize(("case", "query", "code"), CASES, ids=[c[0] for c in CASES])
async def test_errors_are_presented_alike_on_both_transports(api, live, branch, case, query, code):
    token = None if code == "UNAUTHENTICATED" else await api.token(branch.head)
    params = {
        "Accept-Language": "zh-CN",
        **({"Authorization": f"Bearer {token}", "X-Branch": branch.code} if token else {}),
    }
    over_ws = await (await open_socket(live, **params)).run(query)
    headers = {"Accept-Language": "zh-CN"}
    over_http = await api.post(query, token=token, branch=branch.code if token else None, headers=headers)
    assert codes(over_ws) == codes(over_http) == [code]
    assert [e["message"] for e in over_ws["errors"]] == [e["message"] for e in over_http["errors"]]
    assert over_ws.get("data") == over_http.get("data")


async def test_hostile_input_over_websocket_is_a_typed_payload_error(live):
    ws = await open_socket(live)
    body = await ws.run(
        'mutation { signIn(input: {employeeNumber: "E01\\u0000", password: "x"}) { errors { code field } } }'
    )
    assert "errors" not in body
    assert body["data"]["signIn"]["errors"] == [{"code": "BAD_USER_INPUT", "field": "employeeNumber"}]


@pytest.fixture(scope="module")
async def live_broken(rt: Any) -> AsyncIterator[str]:
    """An app whose schema has a field that fails unexpectedly, served like ours."""
    import strawberry
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    from branchdesk.api import BranchdeskGraphQL
    from branchdesk.graphql.errors import RequestLifecycle
    from branchdesk.platform.federation import Federation

    @strawberry.type
    class Query:
        @strawberry.field
        async def fine(self) -> str:
            return "read"

        @strawberry.field
        async def broken(self) -> str:
            raise RuntimeError("secret detail: select password_hash from staff")

    app = Starlette(
        routes=[
            WebSocketRoute(
                "/graphql",
                BranchdeskGraphQL(strawberry.Schema(query=Query, extensions=[RequestLifecycle]), max_json_depth=32),
            )
        ]
    )
    app.state.runtime, app.state.federation = rt, Federation()
    async for address in _serve(app):
        yield f"ws://{address}/graphql"


async def test_an_unexpected_error_over_websocket_is_masked_and_shows_no_data(live_broken):
    body = await (await open_socket(live_broken)).run("{ fine broken }")
    assert codes(body) == ["INTERNAL_ERROR"]
    assert "secret" not in json.dumps(body) and "password_hash" not in json.dumps(body)
    assert body.get("data") is None  # rolled back: what it read did not happen


# What a clairvoyance-style scan sends: near-misses of fields, arguments, types, enum values and input fields.
PROBES = {
    "{ brnch { code } }": "branch",
    "{ staff(frist: 1) { edges { cursor } } }": "first",
    "query($s: BranchStatu) { branches(status: $s) { edges { cursor } } }": "BranchStatus",
    "{ branches(status: ACTIV) { edges { cursor } } }": "ACTIVE",
    'mutation { signIn(input: {employeNumber: "x", password: "y"}) { accessToken } }': "employeeNumber",
    "{ me { employeNumber } }": "employeeNumber",
}


async def test_production_suggests_nothing_over_either_transport(live_production):
    import httpx

    async with httpx.AsyncClient(base_url=f"http://{live_production}") as client:
        for probe, hidden in PROBES.items():
            over_http = (await client.post("/graphql", json={"query": probe})).json()
            over_ws = await (await open_socket(f"ws://{live_production}/graphql")).run(probe)
            for body in (over_http, over_ws):
                messages = " ".join(e["message"] for e in body["errors"])
                assert codes(body) and set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}, body
                assert "Did you mean" not in messages and hidden not in messages, (probe, messages)


async def test_deactivation_closes_the_leavers_open_socket_at_once(api, rt, live, branch, world):
    from tests.conftest import add_member

    number = await add_member(rt, branch, ["teller"])
    ws = await open_socket(live, Authorization=f"Bearer {await api.token(number)}", **{"X-Branch": branch.code})
    assert codes(await ws.run("{ me { employeeNumber } }")) == []

    admin = await api.token(world.ho_admin)
    leave = "mutation($n: String!) { deactivateStaff(input: {employeeNumber: $n}) { errors { code } } }"
    body = await api.post(leave, {"n": number}, token=admin, branch=world.head_office.code)
    assert body["data"]["deactivateStaff"]["errors"] == []
    with pytest.raises(ConnectionClosed) as closed:
        while True:  # what is left of the operation above, then the close: the server's, unasked
            await asyncio.wait_for(ws.ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_ending_the_other_sessions_closes_their_sockets_and_keeps_this_one(api, rt, live, branch):
    from tests.conftest import add_member

    number = await add_member(rt, branch, ["teller"])
    here, there = await api.token(number), await api.token(number)  # two sign-ins: two sessions
    mine = await open_socket(live, Authorization=f"Bearer {here}", **{"X-Branch": branch.code})
    theirs = await open_socket(live, Authorization=f"Bearer {there}", **{"X-Branch": branch.code})
    assert codes(await mine.run("{ me { employeeNumber } }")) == []
    assert codes(await theirs.run("{ me { employeeNumber } }")) == []

    body = await api.post("mutation { endOtherSessions { sessionsEnded errors { code } } }", token=here)
    assert body["data"]["endOtherSessions"] == {"sessionsEnded": 1, "errors": []}
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(theirs.ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    assert codes(await mine.run("{ me { employeeNumber } }")) == []  # this session goes on
