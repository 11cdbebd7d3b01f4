from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from branchdesk.platform.database import Database


@pytest.fixture
async def db(rt) -> AsyncIterator[Database]:
    """A pool of its own (two connections): its connections can be counted, dropped or abandoned without
    disturbing the other tests' shared pool."""
    pool = Database(rt.endpoints.app_url, rt.endpoints.platform_url, pool_size=2)
    try:
        yield pool
    finally:
        await pool.dispose()
