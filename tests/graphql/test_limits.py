"""Abusive queries are refused at validation: before any resolver, so before any SQL."""

import uuid

import pytest
import strawberry
from strawberry import relay

from branchdesk.graphql.context import Connection
from branchdesk.graphql.errors import RequestLifecycle
from branchdesk.graphql.schema import BranchdeskSchema
from tests.conftest import extensions_of
from tests.graphql.test_direct_execution import Query, http_request


def _deep(levels: int) -> str:
    inner = "code"
    for _ in range(levels):
        inner = f"parent {{ {inner} }}"
    return f'{{ branch(code: "0000") {{ {inner} }} }}'


def _aliases(count: int) -> str:
    return "{ " + " ".join(f'a{i}: branch(code: "0000") {{ code }}' for i in range(count)) + " }"


@pytest.mark.parametrize(
    ("query", "message"),
    [(_deep(12), "exceeds maximum operation depth"), (_aliases(16), "aliases found")],
    ids=["depth", "aliases"],
)
async def test_over_the_limit_is_rejected_without_sql(api, world, sql_counter, query, message):
    token = await api.token(world.ho_admin)
    for _ in range(2):  # the second time the validation result comes from the cache
        with sql_counter:
            body = await api.post(query, token=token, branch=world.head_office.code)
        assert body.get("data") is None
        assert message in body["errors"][0]["message"]
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert sql_counter.count == 0


async def test_too_many_tokens_is_rejected_without_sql(api, world, sql_counter):
    query = "{ " + " ".join("__typename" for _ in range(2100)) + " }"
    with sql_counter:
        body = await api.post(query)
    assert body.get("data") is None and "token" in body["errors"][0]["message"].lower()
    assert sql_counter.count == 0


async def test_within_the_limits_the_query_runs(api, world):
    token = await api.token(world.ho_admin)
    body = await api.post(_deep(2), token=token, branch=world.head_office.code)
    assert body["data"]["branch"]["parent"] is None


async def test_page_size_is_capped_with_a_typed_error(api, world):
    token = await api.token(world.ho_admin)
    body = await api.post("{ branches(first: 1000) { edges { cursor } } }", token=token, branch=world.head_office.code)
    assert extensions_of(body["errors"][0]) == {"code": "PAGE_SIZE_EXCEEDED", "field": "first"}


async def test_the_number_of_ids_fetched_at_once_is_capped_with_a_typed_error(api, world, settings):
    token = await api.token(world.head_a)
    ids = [relay.to_base64("Branch", str(uuid.uuid4())) for _ in range(settings.page_size_max + 1)]

    body = await api.post(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}, token=token, branch=world.branch_a.code
    )

    assert extensions_of(body["errors"][0]) == {"code": "PAGE_SIZE_EXCEEDED", "field": "ids"}


async def test_a_cursor_that_is_not_ours_is_a_typed_error(api, world):
    token = await api.token(world.ho_admin)
    body = await api.post(
        '{ branches(first: 1, after: "!!not-base64") { edges { cursor } } }', token=token, branch=world.head_office.code
    )
    assert extensions_of(body["errors"][0]) == {"code": "INVALID_CURSOR", "field": "after"}


@pytest.mark.parametrize("schema_class", [strawberry.Schema, BranchdeskSchema], ids=["strawberrys-way", "directly"])
async def test_an_unexpected_error_is_masked_and_nothing_of_the_request_is_shown(rt, schema_class):
    """A request that fails unexpectedly is rolled back, so none of its data may be returned either; alike
    through strawberry's extension runner and run directly by RequestLifecycle (BranchdeskSchema)."""
    schema = schema_class(query=Query, extensions=[RequestLifecycle])
    result = await schema.execute("{ fine broken }", context_value=Connection(http_request(), rt))
    assert result.data is None
    assert [e.message for e in result.errors] == ["Unexpected error."]
    assert result.errors[0].extensions is not None and result.errors[0].extensions["code"] == "INTERNAL_ERROR"
