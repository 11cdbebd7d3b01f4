"""A valid query or mutation is run by its RequestLifecycle directly (``BranchdeskSchema.execute`` and
``RequestLifecycle.run``), not through strawberry's extension runner; every answer must be the one
strawberry's own execution with the same extension gives. Each operation is run twice, once each way,
and the answers compared: data, errors as a client sees them, and which way the direct one went."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from starlette.requests import Request

from branchdesk.graphql.context import Connection
from branchdesk.graphql.errors import RequestLifecycle
from branchdesk.graphql.schema import BranchdeskSchema
from branchdesk.platform.errors import NotFound
from tests.graphql.test_json_posts import _same_shape

RAN, HANDED = "ran directly", "handed to strawberry"


def http_request() -> Request:
    """A bare HTTP request for a Connection (no headers: no token, no branch)."""
    return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": [], "query_string": b""})


def _as_seen(result: Any) -> tuple[Any, list[dict[str, Any]]]:
    errors = [dict(e.formatted) for e in result.errors or []]
    for error in errors:
        error.get("extensions", {}).pop("requestId", None)
    return result.data, errors


def _counting(monkeypatch: Any) -> list[str]:
    taken: list[str] = []
    run = RequestLifecycle.run

    async def counted(self: RequestLifecycle, execute: Any) -> Any:
        taken.append(RAN)
        return await run(self, execute)

    monkeypatch.setattr(RequestLifecycle, "run", counted)
    return taken


@strawberry.type
class Query:
    @strawberry.field
    async def fine(self) -> str:
        return "read"

    @strawberry.field
    async def broken(self) -> str:
        raise RuntimeError("secret detail")

    @strawberry.field
    async def missing(self) -> str | None:
        raise NotFound("client")

    @strawberry.field
    def counted(self, times: int) -> list[int]:
        return list(range(times))


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def touch(self, label: str) -> str:
        return label.upper()


TOY = [
    pytest.param("{ fine }", None, RAN, id="query"),
    pytest.param("query Named { fine }", None, RAN, id="named"),
    pytest.param("{ fine broken }", None, RAN, id="unexpected-error"),
    pytest.param("{ fine missing }", None, RAN, id="domain-error"),
    pytest.param("query($n: Int!) { counted(times: $n) }", {"n": "x"}, RAN, id="bad-variables"),
    pytest.param('mutation { touch(label: "a") }', None, RAN, id="mutation"),
    pytest.param("{ nope }", None, HANDED, id="validation-error"),
    pytest.param("{ fine ", None, HANDED, id="syntax-error"),
    pytest.param("subscription { fine }", None, HANDED, id="subscription"),
]


@pytest.mark.parametrize(("query", "variables", "path"), TOY)
async def test_an_operation_is_answered_as_strawberrys_execution_answers_it(rt, monkeypatch, query, variables, path):
    schema = BranchdeskSchema(query=Query, mutation=Mutation, extensions=[RequestLifecycle])
    taken = _counting(monkeypatch)

    direct = await schema.execute(query, variables, context_value=Connection(http_request(), rt))
    strawberrys = await strawberry.Schema.execute(
        schema, query, variables, context_value=Connection(http_request(), rt)
    )

    assert taken == ([RAN] if path == RAN else [])  # strawberry's own way runs no RequestLifecycle.run
    assert _as_seen(direct) == _as_seen(strawberrys)
    assert direct.extensions == strawberrys.extensions


SIGNED_IN = [
    pytest.param("{ me { employeeNumber displayName } }", None, RAN, id="me"),
    pytest.param(
        "{ staff(first: 2) { edges { node { id employeeNumber } } pageInfo { hasNextPage } } }", None, RAN, id="list"
    ),
    pytest.param("{ staff(first: -1) { edges { cursor } } }", None, RAN, id="domain-error"),
    pytest.param("query($id: ID!) { node(id: $id) { id } }", {"id": "U3RhZmZNZW1iZXI6bm9wZQ=="}, RAN, id="bad-node-id"),
    pytest.param(
        "mutation($i: SignInInput!) { signIn(input: $i) { errors { code } } }", {"i": {}}, RAN, id="mutation-variables"
    ),
    pytest.param("{ me { nope } }", None, HANDED, id="validation-error"),
]


@pytest.mark.parametrize(("query", "variables", "path"), SIGNED_IN)
async def test_a_request_is_answered_as_strawberrys_execution_answers_it(
    client, api, world, monkeypatch, query, variables, path
):
    token = await api.token(world.head_a)
    headers = {"Authorization": f"Bearer {token}", "X-Branch": world.branch_a.code, "Accept-Language": "zh-CN"}
    body = {"query": query, "variables": variables}
    taken = _counting(monkeypatch)

    direct = await client.post("/graphql", json=body, headers=headers)
    with monkeypatch.context() as patched:
        patched.setattr(BranchdeskSchema, "execute", strawberry.Schema.execute)
        strawberrys = await client.post("/graphql", json=body, headers=headers)

    assert taken == ([RAN] if path == RAN else [])
    assert _same_shape(direct) == _same_shape(strawberrys)
