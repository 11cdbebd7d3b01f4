"""Every client mistake gets a documented code, over HTTP and WebSocket alike: a variable that does not
fit its declared type is BAD_USER_INPUT naming the variable, a document that does not parse is
GRAPHQL_PARSE_FAILED, one over the token limit TOKEN_LIMIT_EXCEEDED; none is an INTERNAL_ERROR."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import extensions_of
from tests.graphql.test_websocket import live, open_socket  # noqa: F401 - `live` is a fixture

BRANCHES = "query($n: Int) { branches(first: $n) { edges { cursor } } }"
VARIABLE_MISTAKES = [
    pytest.param(BRANCHES, {"n": "x"}, "n", id="string-for-int"),
    pytest.param("query($n: Int!) { branches(first: $n) { edges { cursor } } }", {}, "n", id="missing-required"),
    pytest.param(
        'query($at: DateTime) { whoCan(permission: "branch:read", at: $at) { via } }',
        {"at": "yesterday"},
        "at",
        id="not-a-date-time",
    ),
    pytest.param(
        "query($s: BranchStatus) { branches(status: $s) { edges { cursor } } }",
        {"s": "active"},
        "s",
        id="lower-case-enum",
    ),
]
TOO_MANY_TOKENS = "{ " + " ".join("__typename" for _ in range(2100)) + " }"


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    [error] = body["errors"]
    return error


@pytest.mark.parametrize(("query", "variables", "name"), VARIABLE_MISTAKES)
async def test_a_variable_that_does_not_fit_its_type_is_bad_user_input(api, world, query, variables, name):
    token = await api.token(world.ho_admin)
    body = await api.post(query, variables, token=token, branch=world.head_office.code)
    error = only_error(body)
    assert extensions_of(error) == {"code": "BAD_USER_INPUT", "field": name}
    assert error["message"].startswith(f"Variable ${name} is not valid: ")


async def test_the_variable_mistake_is_explained_in_chinese(api, world):
    body = await api.post(BRANCHES, {"n": "x"}, headers={"Accept-Language": "zh-CN"})
    assert only_error(body)["message"].startswith("Variable $n 无效：不是有效的 Int 值")


async def test_a_variable_mistake_is_not_logged_as_an_incident(api, world, capsys):
    await api.post(BRANCHES, {"n": "x"})
    assert "unexpected error" not in capsys.readouterr().out


async def test_a_document_that_does_not_parse_is_parse_failed(api):
    for _ in range(2):  # the second time through the parser cache
        error = only_error(await api.post("{ branches("))
        assert extensions_of(error) == {"code": "GRAPHQL_PARSE_FAILED"}
        assert error["message"] == "The request is not valid GraphQL: Expected Name, found <EOF>."
        assert error["locations"] == [{"line": 1, "column": 12}]


async def test_a_document_over_the_token_limit_has_its_own_code(api, settings):
    error = only_error(await api.post(TOO_MANY_TOKENS))
    assert extensions_of(error) == {"code": "TOKEN_LIMIT_EXCEEDED"}
    assert str(settings.graphql_max_tokens) in error["message"]


@pytest.mark.external
async def test_over_websocket_the_same_mistakes_get_the_same_codes(api, live, world):  # noqa: F811
    token = await api.token(world.ho_admin)
    ws = await open_socket(live, Authorization=f"Bearer {token}", **{"X-Branch": world.head_office.code})
    for query, variables, name in [p.values for p in VARIABLE_MISTAKES]:
        error = only_error(await ws.run(query, variables))
        assert extensions_of(error) == {"code": "BAD_USER_INPUT", "field": name}
    assert extensions_of(only_error(await ws.run("{ branches("))) == {"code": "GRAPHQL_PARSE_FAILED"}
    assert extensions_of(only_error(await ws.run(TOO_MANY_TOKENS))) == {"code": "TOKEN_LIMIT_EXCEEDED"}


async def test_in_production_a_variable_mistake_names_no_enum_values(rt, servers):
    import httpx

    from branchdesk.api import create_app
    from tests.conftest import make_settings

    production = make_settings(servers, env="production", signing_keys="{}", db_role_password="s3cret")
    app = create_app(production, rt)
    query = "query($s: BranchStatus) { branches(status: $s) { edges { cursor } } }"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        body = (await client.post("/graphql", json={"query": query, "variables": {"s": "active"}})).json()
    error = only_error(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "ACTIVE" not in error["message"]
