"""Without a ping on every checkout, a connection that the server dropped is replaced, not served."""

from __future__ import annotations

import pytest

from tests.conftest import _admin_execute

pytestmark = pytest.mark.external


async def test_the_next_request_succeeds_after_the_server_drops_every_pooled_connection(api, world, rt):
    token = await api.token(world.head_a)
    query = "{ staff(first: 5) { edges { node { employeeNumber } } } }"
    assert "errors" not in await api.post(query, token=token, branch=world.branch_a.code)

    # when PostgreSQL ends every connection of the application role (a restart, an idle-connection kill)
    await _admin_execute(
        rt.endpoints.admin_url,
        f"select pg_terminate_backend(pid) from pg_stat_activity where usename = '{rt.endpoints.roles.app}'",
    )

    # then the next request is answered, on a new connection
    body = await api.post(query, token=token, branch=world.branch_a.code)
    assert "errors" not in body, body
    assert body["data"]["staff"]["edges"]
