"""Pooled connections are handed out first come, first served: under load no request waits behind
requests that asked after it (with SQLAlchemy's asyncio queue a newcomer could take a returned
connection before the waiter it was meant for, which then queued again at the back: seconds of waiting
for a few requests, the p99 of bench/api.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.util.queue import Empty

from branchdesk.platform.database import Database, FairQueue


async def _waiting(queue: FairQueue[str], count: int) -> list[asyncio.Task[str]]:
    """``count`` callers waiting on an empty queue, in order (the pool calls ``get`` in a greenlet)."""
    waiters = []
    for _ in range(count):
        waiters.append(asyncio.ensure_future(greenlet_spawn(queue.get, True, None)))
        await asyncio.sleep(0)  # it asks before the next one does
    await asyncio.sleep(0)
    return waiters


async def test_a_returned_connection_goes_to_the_longest_waiter_and_no_newcomer_takes_it():
    queue: FairQueue[str] = FairQueue()
    first, second = await _waiting(queue, 2)

    queue.put_nowait("connection")
    # a request arriving before the waiter has run finds nothing to take
    with pytest.raises(Empty):
        queue.get_nowait()

    assert await first == "connection"
    assert not second.done()
    queue.put_nowait("another")
    assert await second == "another"
    assert queue.qsize() == 0


async def test_a_waiter_cancelled_after_it_was_handed_a_connection_passes_it_on():
    queue: FairQueue[str] = FairQueue()
    first, second = await _waiting(queue, 2)

    queue.put_nowait("connection")  # handed to the first waiter…
    first.cancel()  # …which is cancelled (its request ended) before it ran

    assert await second == "connection"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert queue.qsize() == 0


async def test_a_waiter_that_gives_up_leaves_the_line():
    queue: FairQueue[str] = FairQueue()
    with pytest.raises(Empty):
        await greenlet_spawn(queue.get, True, 0.01)
    (cancelled,) = await _waiting(queue, 1)
    cancelled.cancel()
    await asyncio.sleep(0)

    queue.put_nowait("connection")  # nobody waits any more: it stays idle
    assert queue.qsize() == 1
    assert queue.get_nowait() == "connection"


def test_a_turn_waited_for_is_kept_for_the_task_that_waited_whichever_loop_the_queue_served_before():
    """The queue asks the loop it last served for the running task (asking asyncio for the running loop is
    a system call a time on Python 3.11); a queue used again from another loop, as a script or a test may
    start one, still keeps each turn for the task that waited for it."""
    queue: FairQueue[str] = FairQueue()

    async def wait_then_take(item: str) -> tuple[str | None, str]:
        asyncio.get_running_loop().call_soon(queue.put_nowait, item)  # comes back while this task waits
        await queue.wait_for_turn(1.0)
        kept = queue.next_connection()
        return kept, await greenlet_spawn(queue.get, True, None)

    for item in ("in one loop", "in the next"):
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(wait_then_take(item)) == (item, item)
        finally:
            loop.close()
    assert queue.qsize() == 0


async def test_requests_get_pooled_connections_in_the_order_they_asked(rt):
    pool = Database(rt.endpoints.app_url, rt.endpoints.platform_url, pool_size=1)
    order: list[str] = []

    async def ask(name: str) -> None:
        async with pool.app_engine.connect() as connection:
            order.append(name)
            await connection.execute(text("select 1"))

    try:
        holder = await pool.app_engine.connect()
        await holder.execute(text("select 1"))
        waiters = []
        for i in range(3):
            waiters.append(asyncio.create_task(ask(f"waiter {i}")))
            await asyncio.sleep(0.02)  # each is waiting before the next asks
        # the holder gives its connection back and at once asks again, before any waiter has run
        await holder.close()
        await ask("newcomer")
        await asyncio.gather(*waiters)

        assert order == ["waiter 0", "waiter 1", "waiter 2", "newcomer"]
        assert pool.app_engine.pool.checkedin() == 1
    finally:
        await pool.dispose()


async def test_a_request_that_waits_past_the_pool_timeout_gets_the_pools_error(rt):
    pool = Database(rt.endpoints.app_url, rt.endpoints.platform_url, pool_size=1)
    pool.app_engine.pool._timeout = 0.05  # type: ignore[attr-defined]  # the pool's own setting, shortened
    try:
        holder = await pool.app_engine.connect()
        await holder.execute(text("select 1"))
        with pytest.raises(PoolTimeout):
            await pool.app_engine.connect()
        await holder.close()
        async with pool.app_engine.connect() as connection:  # the connection was not lost
            assert await connection.scalar(text("select 1")) == 1
    finally:
        await pool.dispose()
