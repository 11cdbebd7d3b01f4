"""Apollo Client's automatic persisted queries, in the exact shape its link sends them: an unknown hash
is answered PersistedQueryNotFound so the client sends the query with its hash; from then on the hash
alone runs the query, in every API process (the queries are kept in Redis), over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from branchdesk.api import create_app
from branchdesk.graphql.persisted_queries import look_up
from branchdesk.platform.events import Event
from branchdesk.rbac.events import POLICY_CHANGED
from tests.conftest import add_member, make_settings
from tests.graphql.test_websocket import Socket, _serve, open_socket

WHOAMI = "query Whoami { __typename }"


def apq(sha: str, version: int = 1) -> dict[str, object]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha}}


def sha_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


async def test_a_hash_alone_is_not_found_then_the_full_query_is_kept_for_every_process(client, rt, settings):
    query = f"query Fresh{secrets.token_hex(4)} {{ __typename }}"
    sha = sha_of(query)

    first = await client.post("/graphql", json={"operationName": None, "variables": {}, "extensions": apq(sha)})
    retried = await client.post("/graphql", json={"query": query, "variables": {}, "extensions": apq(sha)})
    other_process = create_app(settings, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other_process), base_url="http://b") as other:
        by_hash = await other.post("/graphql", json={"variables": {}, "extensions": apq(sha)})
        by_get = await other.get(
            "/graphql", params={"extensions": json.dumps(apq(sha))}, headers={"Accept": "application/json"}
        )

    assert first.status_code == 200
    error = first.json()["errors"][0]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert error["extensions"]["requestId"] == first.headers["x-request-id"]
    assert retried.json() == {"data": {"__typename": "Query"}}
    assert by_hash.json() == {"data": {"__typename": "Query"}}
    assert by_get.json() == {"data": {"__typename": "Query"}}


async def test_a_hash_that_does_not_match_its_query_is_refused(client):
    response = await client.post("/graphql", json={"query": WHOAMI, "extensions": apq(sha_of("{ other }"))})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_an_invalid_query_is_not_kept(client):
    query = "{ noSuchField }"
    sha = sha_of(query)

    sent = await client.post("/graphql", json={"query": query, "extensions": apq(sha)})
    again = await client.post("/graphql", json={"extensions": apq(sha)})

    assert sent.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_another_protocol_version_tells_the_client_to_send_whole_queries(client):
    response = await client.post("/graphql", json={"extensions": apq(sha_of(WHOAMI), version=2)})

    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


# --- over WebSocket: graphql-transport-ws `subscribe` messages carry the same extensions ------------------


@pytest.fixture(scope="module")
async def live(rt: Any, servers: Any) -> AsyncIterator[str]:
    async for address in _serve(create_app(make_settings(servers), rt)):
        yield f"ws://{address}/graphql"


async def send(socket: Socket, payload: dict[str, Any]) -> dict[str, Any]:
    """One operation's first message: ``next`` (its payload) or ``error`` (its errors)."""
    op = uuid.uuid4().hex
    await socket.ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))
    while True:
        message = json.loads(await asyncio.wait_for(socket.ws.recv(), 10))
        if message.get("id") == op and message["type"] in ("next", "error"):
            return message


def codes(message: dict[str, Any]) -> list[str]:
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors", [])
    return [e["extensions"]["code"] for e in errors]


@pytest.mark.external
async def test_over_websocket_an_unknown_hash_is_not_found_then_kept_for_both_transports(client, live):
    query = f"query Fresh{secrets.token_hex(4)} {{ __typename }}"
    sha = sha_of(query)
    socket = await open_socket(live, **{"Accept-Language": "zh-CN"})

    unknown = await send(socket, {"extensions": apq(sha)})  # no query: graphql-ws clients may send ""
    empty = await send(socket, {"query": "", "extensions": apq(sha)})
    whole = await send(socket, {"query": query, "extensions": apq(sha)})
    by_hash = await send(socket, {"query": "", "extensions": apq(sha)})
    over_http = await client.post("/graphql", json={"extensions": apq(sha)})

    assert unknown["type"] == "error" and codes(unknown) == codes(empty) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert unknown["payload"][0]["message"].startswith("PersistedQueryNotFound")
    assert unknown["payload"][0]["extensions"]["requestId"]
    assert whole["payload"] == by_hash["payload"] == {"data": {"__typename": "Query"}}  # the socket stayed open
    assert over_http.json() == {"data": {"__typename": "Query"}}
    await socket.ws.close()


@pytest.mark.external
async def test_over_websocket_a_query_kept_over_http_runs_by_its_hash(client, live):
    query = f"query Shared{secrets.token_hex(4)} {{ __typename }}"
    sha = sha_of(query)
    await client.post("/graphql", json={"query": query, "extensions": apq(sha)})
    socket = await open_socket(live)

    message = await send(socket, {"extensions": apq(sha)})

    assert message["type"] == "next" and message["payload"] == {"data": {"__typename": "Query"}}
    await socket.ws.close()


@pytest.mark.external
async def test_over_websocket_mismatches_invalid_queries_and_other_versions_are_refused_alone(live):
    invalid = "{ noSuchField }"
    socket = await open_socket(live)

    mismatch = await send(socket, {"query": WHOAMI, "extensions": apq(sha_of("{ other }"))})
    malformed = await send(socket, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ABC"}}})
    version = await send(socket, {"extensions": apq(sha_of(WHOAMI), version=2)})
    not_valid = await send(socket, {"query": invalid, "extensions": apq(sha_of(invalid))})
    again = await send(socket, {"extensions": apq(sha_of(invalid))})
    still_open = await send(socket, {"query": WHOAMI})

    assert codes(mismatch) == codes(malformed) == ["BAD_USER_INPUT"]
    assert mismatch["payload"][0]["extensions"]["field"] == "extensions.persistedQuery"
    assert codes(version) == ["PERSISTED_QUERY_NOT_SUPPORTED"]
    assert codes(not_valid) == ["GRAPHQL_VALIDATION_FAILED"] and codes(again) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert still_open["payload"] == {"data": {"__typename": "Query"}}
    await socket.ws.close()


@pytest.mark.external
async def test_a_subscription_is_kept_when_it_starts_and_then_subscribes_by_its_hash(api, rt, live, world):
    subscription = f"subscription Watch{secrets.token_hex(4)} {{ policyChanged {{ kind }} }}"
    sha = sha_of(subscription)
    officer = await add_member(rt, world.branch_a, ["compliance_officer"])
    params = {"Authorization": f"Bearer {await api.token(officer)}", "X-Branch": world.branch_a.code}
    first = await open_socket(live, **params)
    await first.ws.send(
        json.dumps({"id": "w", "type": "subscribe", "payload": {"query": subscription, "extensions": apq(sha)}})
    )
    for _ in range(200):  # kept as it starts, before any event
        if await look_up(rt.redis, sha) == subscription:
            break
        await asyncio.sleep(0.05)
    second = await open_socket(live, **params)

    await second.ws.send(json.dumps({"id": "h", "type": "subscribe", "payload": {"extensions": apq(sha)}}))
    for _ in range(200):
        if rt.events.listening(world.branch_a.id) >= 2:
            break
        await asyncio.sleep(0.05)
    await rt.events.publish(Event(POLICY_CHANGED, world.branch_a.id, {"kind": "roles", "change": None}))
    message = json.loads(await asyncio.wait_for(second.ws.recv(), 10))

    assert await look_up(rt.redis, sha) == subscription
    assert message == {"id": "h", "type": "next", "payload": {"data": {"policyChanged": {"kind": "ROLES"}}}}
    await first.ws.close()
    await second.ws.close()
