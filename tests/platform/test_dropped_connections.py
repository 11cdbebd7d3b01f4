"""Without a ping on every checkout, a connection that the server dropped is replaced, not served."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from branchdesk.platform.database import Database
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


async def test_a_burst_of_requests_opens_no_connection_beyond_the_pool(rt):
    """A fixed pool: connections are opened up to its size and kept, never opened and closed per burst."""
    size = 3
    pool = Database(rt.endpoints.app_url, rt.endpoints.platform_url, pool_size=size)
    try:

        async def one() -> int:
            async with pool.session(None) as session:
                pid: int = await session.scalar(text("select pg_backend_pid() from pg_sleep(0.01)"))
                return pid

        # given a burst of four times as many concurrent requests as the pool holds, twice over
        first = await asyncio.gather(*(one() for _ in range(4 * size)))
        second = await asyncio.gather(*(one() for _ in range(4 * size)))

        # then every one was answered on the same few connections, still open afterwards
        assert len(set(first) | set(second)) == size
        assert pool.app_engine.pool.checkedin() == size
    finally:
        await pool.dispose()
