"""Faults injected into real servers while jobs run: a killed worker, a Redis that loses everything, the
database dropping connections, a job failing once. Every test ends with each piece of work done exactly
once, within a bound it states."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from arq.worker import func
from sqlalchemy import text
from sqlalchemy.engine import make_url

from branchdesk.jobs import tasks
from branchdesk.jobs.running import resilient
from branchdesk.jobs.worker import functions
from branchdesk.platform.outbox import outbox_job
from branchdesk.tenants.models import BranchLevel
from tests.conftest import _admin_execute, onboard, unique_code, unique_employee_number
from tests.jobs.support import (
    NOW,
    WorkerProcess,
    checks,
    drain,
    enqueue,
    message,
    quick,
    run_worker,
    sample,
    send,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.external]

# Connection losses still to inflict, by outbox row (a test's own job reads it).
LOSSES: dict[str, int] = {}


async def verify_audit_chain_losing_its_connection(ctx: dict[str, Any], branch_id: str, outbox_id: str) -> str:
    """verify_audit_chain, except that PostgreSQL ends its connection mid-transaction while losses remain."""
    if LOSSES.get(outbox_id, 0) > 0:
        LOSSES[outbox_id] -= 1
        async with outbox_job(ctx["runtime"].db, branch_id, outbox_id) as session:
            assert session is not None  # claimed: the loss must undo the claim too
            await session.execute(text("select pg_terminate_backend(pg_backend_pid())"))
    return await tasks.verify_audit_chain(ctx, branch_id, outbox_id)


def _with_losing_job(rt: Any) -> list[Any]:
    return [*functions(rt.settings), func(resilient(verify_audit_chain_losing_its_connection), timeout=10)]


@asynccontextmanager
async def audit_checks_locked(admin_url: str) -> AsyncIterator[None]:
    """Hold every reader of audit_chain_checks waiting (a long job, frozen in the middle of its transaction)."""
    conn = await _admin_connection(admin_url)
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("lock table audit_chain_checks in access exclusive mode")
        yield
        await transaction.rollback()
    finally:
        await conn.close()


async def test_a_job_that_loses_its_connection_once_is_retried_in_place_and_done_once(rt, world):
    frt = quick(rt)
    await drain(frt)
    branch = world.branch_a.id
    message_id = await enqueue(frt, branch, "verify_audit_chain_losing_its_connection")
    LOSSES[str(message_id)] = 1
    retried = sample("branchdesk_jobs_retried_total", job="verify_audit_chain_losing_its_connection")

    assert await send(frt) == 1
    await run_worker(frt, functions=_with_losing_job(frt))

    # retried by the job itself (ARQ Retry), not by the relay: one dispatch, one retry, the work once
    row = await message(frt, branch, message_id)
    assert row.completed_at is not None and row.dispatch_count == 1
    assert sample("branchdesk_jobs_retried_total", job="verify_audit_chain_losing_its_connection") == retried + 1
    assert await checks(frt, branch, f"outbox:{message_id}") == 1


async def test_a_job_failing_past_its_retries_is_redelivered_by_the_relay_at_once_and_done_once(rt, world):
    # given one transient retry allowed, and a job that loses its connection twice
    frt = quick(rt, job_transient_retries=1)
    await drain(frt)
    branch = world.branch_b.id
    message_id = await enqueue(frt, branch, "verify_audit_chain_losing_its_connection")
    LOSSES[str(message_id)] = 2
    redispatched = sample("branchdesk_outbox_redispatched_total", job="verify_audit_chain_losing_its_connection")

    # when its first dispatch fails for good
    assert await send(frt) == 1
    await run_worker(frt, functions=_with_losing_job(frt))
    assert (await message(frt, branch, message_id)).completed_at is None

    # then nothing in Redis refuses the relay's next send (no failed result is kept): it runs, once
    assert await frt.redis.exists(f"arq:result:outbox:{message_id}") == 0
    assert await send(frt, NOW) == 1
    await run_worker(frt, functions=_with_losing_job(frt))
    row = await message(frt, branch, message_id)
    assert row.completed_at is not None and row.dispatch_count == 2
    assert sample("branchdesk_outbox_redispatched_total", job="verify_audit_chain_losing_its_connection") == (
        redispatched + 1
    )
    assert await checks(frt, branch, f"outbox:{message_id}") == 1


async def test_connections_dropped_by_the_server_during_jobs_are_survived(rt, world):
    frt = quick(rt)
    await drain(frt)
    ids = [await enqueue(frt, world.branch_a.id), await enqueue(frt, world.branch_b.id)]
    retried = sample("branchdesk_jobs_retried_total", job="verify_audit_chain")
    assert await send(frt) == 2

    async with audit_checks_locked(rt.endpoints.admin_url):
        running = asyncio.create_task(run_worker(frt))
        # when both jobs are in the middle of their transactions, PostgreSQL ends every application connection
        await wait_for(lambda: _waiting_on_lock(rt, 2), within=20)
        await _admin_execute(
            rt.endpoints.admin_url,
            f"select pg_terminate_backend(pid) from pg_stat_activity where usename = '{rt.endpoints.roles.app}'",
        )
    await asyncio.wait_for(running, timeout=30)

    # then each job was retried in place and did its work once
    for branch, message_id in zip((world.branch_a.id, world.branch_b.id), ids, strict=True):
        row = await message(frt, branch, message_id)
        assert row.completed_at is not None and row.dispatch_count == 1
        assert await checks(frt, branch, f"outbox:{message_id}") == 1
    # (a job that waited past the lock timeout before the connections were dropped was retried for that too)
    assert sample("branchdesk_jobs_retried_total", job="verify_audit_chain") >= retried + 2


async def _admin_connection(admin_url: str) -> Any:
    url = make_url(admin_url)
    return await asyncpg.connect(
        user=url.username,
        password=url.password,
        database=url.database,
        host=url.query.get("host") or url.host,
        port=url.port,
    )


async def _waiting_on_lock(rt: Any, count: int) -> bool:
    """At least ``count`` application connections wait for a lock (only the administrator sees them all)."""
    conn = await _admin_connection(rt.endpoints.admin_url)
    try:
        waiting = await conn.fetchval(
            "select count(*) from pg_stat_activity where usename = $1 and wait_event_type = 'Lock'",
            rt.endpoints.roles.app,
        )
    finally:
        await conn.close()
    return waiting >= count


async def test_work_lost_by_a_flushed_redis_with_jobs_dispatched_runs_once(rt, world):
    await drain(rt)
    ids = [await enqueue(rt, world.branch_a.id) for _ in range(3)]
    assert await send(rt) == 3
    await rt.redis.flushdb()  # Redis loses every queued job

    assert await send(rt, NOW) == 3
    await run_worker(rt)
    assert await send(rt, NOW) == 0
    for message_id in ids:
        assert (await message(rt, world.branch_a.id, message_id)).dispatch_count == 2
        assert await checks(rt, world.branch_a.id, f"outbox:{message_id}") == 1


# A job whose worker is killed runs again when ARQ's in-progress marker lapses: the longest job timeout
# + 10 s after it started. With 2 s timeouts, 12 s; allowed here: that + 13 s for a new worker to start
# on a busy machine.
# Long enough that the check of a fresh branch's short chain never times out on a loaded CI machine
# (a timeout would be a legitimate redelivery, counted, and muddle what this test pins).
KILL_TIMEOUT_SECONDS = 5
KILL_RECOVERY_BOUND = KILL_TIMEOUT_SECONDS + 10 + 13


async def test_a_job_whose_worker_is_killed_mid_job_is_done_once_by_the_next_worker(rt, world):
    fresh = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number())
    await drain(rt)
    branch = fresh.id
    options = {"job_timeout_seconds": str(KILL_TIMEOUT_SECONDS), "outbox_redispatch_seconds": "1"}
    message_id = await enqueue(rt, branch)
    first = WorkerProcess(rt, **options)
    try:
        async with audit_checks_locked(rt.endpoints.admin_url):
            # given the job running in the worker, in the middle of its transaction (its row claimed)
            await wait_for(lambda: _running(rt, message_id), within=60)
            await wait_for(lambda: _waiting_on_lock(rt, 1), within=10)
            # when the worker is killed
            first.kill()
            killed_at = time.monotonic()
    finally:
        first.stop()

    second = WorkerProcess(rt, **options)
    try:
        await wait_for(lambda: _completed(rt, branch, message_id), within=KILL_RECOVERY_BOUND, every=0.2)
        recovery = time.monotonic() - killed_at
    finally:
        second.stop()

    # then the next worker did it once; the relay's sends that ARQ refused meanwhile were not counted
    print(f"killed-worker recovery: {recovery:.1f} s (bound {KILL_RECOVERY_BOUND} s)")
    row = await message(rt, branch, message_id)
    assert row.dispatch_count == 1 and row.dead_at is None
    assert await checks(rt, branch, f"outbox:{message_id}") == 1


async def _running(rt: Any, message_id: uuid.UUID) -> bool:
    return bool(await rt.redis.exists(f"arq:in-progress:outbox:{message_id}"))


async def _completed(rt: Any, branch: uuid.UUID, message_id: uuid.UUID) -> bool:
    return (await message(rt, branch, message_id)).completed_at is not None
