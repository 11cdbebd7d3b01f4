"""What support and a multilingual front end need from every answer: a request id (echoed or made up)
in the X-Request-Id header and in every error's ``extensions.requestId``, and messages in the language
the caller prefers, q-values honoured, over HTTP, WebSocket and the CSV export alike."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import connect

from branchdesk.api import create_app
from tests.conftest import make_settings
from tests.graphql.test_websocket import _serve, open_socket

GUARDED = "{ staff(first: 1) { edges { cursor } } }"
EN = "Sign-in is required or the credentials are not valid."
ZH = "需要登录，或登录凭证无效。"


@pytest.fixture(scope="module")
async def live(rt: Any, servers: Any) -> AsyncIterator[str]:
    async for address in _serve(create_app(make_settings(servers), rt)):
        yield f"ws://{address}/graphql"


@pytest.mark.parametrize(
    ("path", "method"), [("/healthz", "GET"), ("/graphql", "POST"), ("/oauth/token", "POST"), ("/nowhere", "GET")]
)
async def test_every_response_carries_a_request_id(client, path, method):
    response = await client.request(method, path, json={"query": "{ __typename }"} if path == "/graphql" else None)

    assert len(response.headers["x-request-id"]) >= 16


async def test_a_graphql_error_carries_the_request_id_of_its_response(client):
    response = await client.post("/graphql", json={"query": GUARDED})

    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]


async def test_the_callers_request_id_is_echoed_and_a_strange_one_replaced(client):
    given = await client.post("/graphql", json={"query": GUARDED}, headers={"X-Request-Id": "web-7f3a.2:1"})
    strange = await client.post("/graphql", json={"query": GUARDED}, headers={"X-Request-Id": "a b\tc" + "x" * 200})

    assert given.headers["x-request-id"] == "web-7f3a.2:1"
    assert given.json()["errors"][0]["extensions"]["requestId"] == "web-7f3a.2:1"
    assert strange.headers["x-request-id"] != "a b\tc" + "x" * 200
    assert strange.json()["errors"][0]["extensions"]["requestId"] == strange.headers["x-request-id"]


async def test_a_refusal_at_the_edge_carries_the_request_id(client):
    response = await client.post("/graphql", content=b'"x"', headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        ("en-US,zh-CN;q=0.9", EN),
        ("zh-CN;q=0.8,en;q=0.9", EN),
        ("zh", ZH),
        ("fr-FR, zh-CN;q=0.5", ZH),
        ("zh-CN;q=0, en;q=0.1", EN),
    ],
)
async def test_accept_language_q_values_decide_the_language(api, accept_language, message):
    body = await api.post(GUARDED, headers={"Accept-Language": accept_language})

    assert body["errors"][0]["message"] == message


async def test_the_csv_export_follows_the_same_language_rules(api, world):
    token = await api.token(world.head_a)
    opened = await api.post(
        'mutation { openAccessReview(input: {name: "languages"}) { accessReview { id } } }',
        token=token,
        branch=world.branch_a.code,
    )
    review = opened["data"]["openAccessReview"]["accessReview"]["id"]
    headers = {"Authorization": f"Bearer {token}", "X-Branch": world.branch_a.code}

    async def header_row(accept_language: str) -> str:
        url = f"/exports/access-reviews/{review}.csv"
        response = await api.client.get(url, headers={**headers, "Accept-Language": accept_language})
        return response.content.decode("utf-8").removeprefix("\ufeff").splitlines()[0]

    assert (await header_row("en-US,zh-CN;q=0.9")).startswith("Employee number")
    assert (await header_row("zh-CN;q=0.8,en;q=0.9")).startswith("Employee number")
    assert (await header_row("en;q=0.5, zh-TW")).startswith("员工号")


@pytest.mark.external
async def test_websocket_errors_are_translated_from_the_connection_init_payload(live):
    ws = await open_socket(live, **{"Accept-Language": "zh-CN;q=0.8,en;q=0.9"})
    english = await ws.run(GUARDED)
    ws_zh = await open_socket(live, **{"Accept-Language": "zh"})
    chinese = await ws_zh.run(GUARDED)

    assert english["errors"][0]["message"] == EN
    assert chinese["errors"][0]["message"] == ZH


@pytest.mark.external
async def test_websocket_errors_are_translated_from_the_upgrade_headers(live):
    ws = await connect(live, subprotocols=["graphql-transport-ws"], additional_headers={"Accept-Language": "zh-CN"})  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    await ws.recv()
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": GUARDED}}))
    body = json.loads(await ws.recv())

    assert body["payload"]["errors"][0]["message"] == ZH
    await ws.close()


@pytest.mark.external
async def test_websocket_errors_carry_a_request_id_per_operation_or_the_clients(live):
    anonymous = await open_socket(live)
    first, second = await anonymous.run(GUARDED), await anonymous.run(GUARDED)
    named = await (await open_socket(live, **{"X-Request-Id": "tab-42"})).run(GUARDED)

    ids = [body["errors"][0]["extensions"]["requestId"] for body in (first, second)]
    assert ids[0] != ids[1] and all(len(i) >= 16 for i in ids)
    assert named["errors"][0]["extensions"]["requestId"] == "tab-42"


@pytest.mark.external
async def test_the_websocket_handshake_answers_with_a_request_id(live):
    ws = await connect(live, subprotocols=["graphql-transport-ws"], additional_headers={"X-Request-Id": "hs-1"})  # type: ignore[list-item]
    assert ws.response is not None and ws.response.headers["x-request-id"] == "hs-1"
    await ws.close()
