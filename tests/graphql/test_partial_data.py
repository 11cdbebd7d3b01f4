"""A field the caller may not read is null with its own error; the rest of the answer still arrives."""

from __future__ import annotations

from branchdesk.graphql.schema import build_schema
from branchdesk.platform.settings import Settings
from graphql import GraphQLNonNull
from tests.conftest import add_member


def test_every_root_query_field_is_nullable():
    query = build_schema(Settings())._schema.query_type
    non_null = [name for name, field in query.fields.items() if isinstance(field.type, GraphQLNonNull)]
    assert non_null == [], "a refused root field would null the whole response"


async def test_a_teller_gets_me_and_a_forbidden_access_matrix(api, world, client):
    teller = await add_member(client._transport.app.state.runtime, world.branch_a, ["teller"])
    token = await api.token(teller)

    body = await api.post(
        "{ me { employeeNumber } accessMatrix { roles { name } } }", token=token, branch=world.branch_a.code
    )

    assert body["data"] == {"me": {"employeeNumber": teller}, "accessMatrix": None}
    [error] = body["errors"]
    assert error["path"] == ["accessMatrix"] and error["extensions"]["code"] == "FORBIDDEN"
