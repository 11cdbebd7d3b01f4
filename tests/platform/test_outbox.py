"""The outbox hands work to ARQ only after commit, once, and again if Redis lost it."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from branchdesk.jobs import tasks
from branchdesk.jobs.worker import build_worker
from branchdesk.platform import outbox
from branchdesk.platform.audit import AuditChainCheck
from branchdesk.platform.outbox import OutboxMessage

pytestmark = pytest.mark.external
LATER = timedelta(minutes=5)
NOW = timedelta(0)


class Boom(Exception):
    pass


async def _enqueue(rt, branch) -> uuid.UUID:
    async with rt.db.session(branch.id) as session:
        message = await outbox.enqueue(session, branch.id, "verify_audit_chain")
        return message.id


async def _run_worker(rt) -> None:
    worker = build_worker(rt, burst=True, poll_delay=0.05, cron_jobs=[])
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def _checks(rt, branch, message_id) -> int:
    async with rt.db.session(branch.id) as session:
        rows = await session.scalars(
            select(AuditChainCheck).where(AuditChainCheck.tenant_id == branch.id, AuditChainCheck.source == f"outbox:{message_id}")
        )
        return len(rows.all())


async def _message(rt, branch, message_id) -> OutboxMessage | None:
    async with rt.db.session(branch.id) as session:
        return await session.get(OutboxMessage, (branch.id, message_id))


async def _drain(rt) -> None:
    """Finish whatever earlier tests left queued, so each test sees only its own work."""
    await outbox.relay(rt.db, rt.queue, redispatch_after=LATER)
    await _run_worker(rt)


async def test_a_rolled_back_change_enqueues_nothing(rt, world):
    await _drain(rt)
    kept: list[uuid.UUID] = []
    with pytest.raises(Boom):
        async with rt.db.session(world.branch_a.id) as session:
            message = await outbox.enqueue(session, world.branch_a.id, "verify_audit_chain")
            kept.append(message.id)
            raise Boom
    assert await outbox.relay(rt.db, rt.queue, redispatch_after=NOW) == 0
    assert await _message(rt, world.branch_a, kept[0]) is None
    assert await rt.queue.exists(f"arq:job:outbox:{kept[0]}") == 0


async def test_a_committed_row_runs_exactly_once_when_relayed_twice(rt, world):
    await _drain(rt)
    message_id = await _enqueue(rt, world.branch_a)

    assert await outbox.relay(rt.db, rt.queue, redispatch_after=LATER) == 1
    assert await outbox.relay(rt.db, rt.queue, redispatch_after=LATER) == 0
    # Even a forced resend while the job is still queued is absorbed by its deterministic id.
    await outbox.relay(rt.db, rt.queue, redispatch_after=NOW)
    assert await rt.queue.zcard("arq:queue") == 1
    await _run_worker(rt)

    assert await _checks(rt, world.branch_a, message_id) == 1
    assert (await _message(rt, world.branch_a, message_id)).completed_at is not None


async def test_work_lost_by_redis_is_sent_again_and_runs_once(rt, world):
    await _drain(rt)
    message_id = await _enqueue(rt, world.branch_b)
    await outbox.relay(rt.db, rt.queue, redispatch_after=LATER)
    await rt.queue.flushdb()  # Redis loses everything it held

    assert await outbox.relay(rt.db, rt.queue, redispatch_after=NOW) == 1
    await _run_worker(rt)
    assert await outbox.relay(rt.db, rt.queue, redispatch_after=NOW) == 0
    assert await _checks(rt, world.branch_b, message_id) == 1
    assert (await _message(rt, world.branch_b, message_id)).dispatch_count == 2


async def test_a_job_delivered_twice_does_its_work_once(rt, world):
    message_id = await _enqueue(rt, world.branch_a)
    ctx = {"runtime": rt}
    first = await tasks.verify_audit_chain(ctx, str(world.branch_a.id), str(message_id))
    second = await tasks.verify_audit_chain(ctx, str(world.branch_a.id), str(message_id))
    assert first == "intact" and second == "already done"
    assert await _checks(rt, world.branch_a, message_id) == 1
