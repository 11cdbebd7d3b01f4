"""The outbox hands work to ARQ only after commit, once, and again if Redis lost it; work that keeps
failing is given up after a few dispatches and reported."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from branchdesk.jobs import tasks
from branchdesk.jobs.relay import relay
from branchdesk.jobs.worker import build_worker, queue_of
from branchdesk.platform import metrics, outbox
from branchdesk.platform.audit import AuditChainCheck
from branchdesk.platform.outbox import OutboxMessage

pytestmark = pytest.mark.external
LATER = timedelta(minutes=5)
NOW = timedelta(0)


class Boom(Exception):
    pass


async def _enqueue(rt, branch, **payload) -> uuid.UUID:
    async with rt.db.session(branch.id) as session:
        message = await outbox.enqueue(session, branch.id, "verify_audit_chain", **payload)
        return message.id


async def _relay(rt, redispatch_after: timedelta, max_dispatches: int | None = None) -> int:
    cap = max_dispatches or rt.settings.outbox_max_dispatches
    # every due row in one pass: other tests leave more rows behind than the relay's usual batch
    return await relay(rt.db, queue_of(rt), redispatch_after=redispatch_after, max_dispatches=cap, batch=1_000_000)


def _dead(job: str) -> float:
    return metrics.REGISTRY.get_sample_value("branchdesk_outbox_dead_total", {"job": job}) or 0.0


async def _run_worker(rt) -> None:
    worker = build_worker(rt, burst=True, poll_delay=0.05, cron_jobs=[])
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def _checks(rt, branch, message_id) -> int:
    async with rt.db.session(branch.id) as session:
        rows = await session.scalars(
            select(AuditChainCheck).where(
                AuditChainCheck.tenant_id == branch.id, AuditChainCheck.source == f"outbox:{message_id}"
            )
        )
        return len(rows.all())


async def _message(rt, branch, message_id) -> OutboxMessage | None:
    async with rt.db.session(branch.id) as session:
        return await session.get(OutboxMessage, (branch.id, message_id))


async def _drain(rt) -> None:
    """Finish whatever earlier tests left queued, so each test sees only its own work."""
    await _relay(rt, LATER)
    await _run_worker(rt)


async def test_a_rolled_back_change_enqueues_nothing(rt, world):
    await _drain(rt)
    kept: list[uuid.UUID] = []
    with pytest.raises(Boom):
        async with rt.db.session(world.branch_a.id) as session:
            message = await outbox.enqueue(session, world.branch_a.id, "verify_audit_chain")
            kept.append(message.id)
            raise Boom
    assert await _relay(rt, NOW) == 0
    assert await _message(rt, world.branch_a, kept[0]) is None
    assert await rt.redis.exists(f"arq:job:outbox:{kept[0]}") == 0


async def test_a_committed_row_runs_exactly_once_when_relayed_twice(rt, world):
    await _drain(rt)
    message_id = await _enqueue(rt, world.branch_a)

    assert await _relay(rt, LATER) == 1
    assert await _relay(rt, LATER) == 0
    # Even a forced resend while the job is still queued is absorbed by its deterministic id, and not counted.
    assert await _relay(rt, NOW) == 0
    assert await rt.redis.zcard("arq:queue") == 1
    await _run_worker(rt)

    assert await _checks(rt, world.branch_a, message_id) == 1
    row = await _message(rt, world.branch_a, message_id)
    assert row.completed_at is not None and row.dispatch_count == 1


async def test_sends_refused_while_the_job_is_still_queued_do_not_count_towards_the_cap(rt, world):
    await _drain(rt)
    # given a row sent once whose job has not run yet (a busy or stopped worker)
    message_id = await _enqueue(rt, world.branch_a)
    assert await _relay(rt, NOW, max_dispatches=2) == 1

    # when the relay looks at it again and again past its redispatch time
    for _ in range(3):
        assert await _relay(rt, NOW, max_dispatches=2) == 0

    # then ARQ's refusals were not counted: the row is not dead, and its one job does the work
    row = await _message(rt, world.branch_a, message_id)
    assert row.dispatch_count == 1 and row.dead_at is None
    await _run_worker(rt)
    assert await _checks(rt, world.branch_a, message_id) == 1


async def test_work_lost_by_redis_is_sent_again_and_runs_once(rt, world):
    await _drain(rt)
    message_id = await _enqueue(rt, world.branch_b)
    await _relay(rt, LATER)
    await rt.redis.flushdb()  # Redis loses everything it held

    assert await _relay(rt, NOW) == 1
    await _run_worker(rt)
    assert await _relay(rt, NOW) == 0
    assert await _checks(rt, world.branch_b, message_id) == 1
    assert (await _message(rt, world.branch_b, message_id)).dispatch_count == 2


async def test_a_job_delivered_twice_does_its_work_once(rt, world):
    message_id = await _enqueue(rt, world.branch_a)
    ctx = {"runtime": rt}
    first = await tasks.verify_audit_chain(ctx, str(world.branch_a.id), str(message_id))
    second = await tasks.verify_audit_chain(ctx, str(world.branch_a.id), str(message_id))
    assert first == "intact" and second == "already done"
    assert await _checks(rt, world.branch_a, message_id) == 1


async def test_a_job_that_keeps_failing_is_given_up_at_the_cap_and_reported_once(rt, world):
    await _drain(rt)
    # given a row whose job fails every time (one this worker does not know: a newer release's, say)
    async with rt.db.session(world.branch_a.id) as session:
        message_id = (await outbox.enqueue(session, world.branch_a.id, "job_of_a_newer_release")).id
    dead_before = _dead("job_of_a_newer_release")

    # when it has been dispatched as often as allowed, and each run failed
    for _ in range(3):
        assert await _relay(rt, NOW, max_dispatches=3) == 1  # a failed run leaves nothing that refuses the next
        await _run_worker(rt)
    with capture_logs() as logs:
        given_up = await _relay(rt, NOW, max_dispatches=3)
        again = await _relay(rt, NOW, max_dispatches=3)

    # then it is not sent again, and is reported dead once, with the reason: in the log and in the metrics
    assert given_up == again == 0
    assert await rt.redis.zcard("arq:queue") == 0
    row = await _message(rt, world.branch_a, message_id)
    assert row.dispatch_count == 3 and row.completed_at is None and row.dead_at is not None
    assert row.dead_reason == "not completed after 3 dispatches"
    assert [(e["log_level"], e["job"], e["branch"], e["id"]) for e in logs if e.get("id") == str(message_id)] == [
        ("error", "job_of_a_newer_release", str(world.branch_a.id), str(message_id))
    ]
    assert _dead("job_of_a_newer_release") == dead_before + 1


async def test_a_payload_the_job_cannot_take_is_dead_at_once_with_the_reason(rt, world):
    await _drain(rt)
    # given a row whose payload its job does not take
    message_id = await _enqueue(rt, world.branch_a, unexpected="poison")
    dead_before = _dead("verify_audit_chain")

    # when it is delivered once
    with capture_logs() as logs:
        assert await _relay(rt, NOW) == 1
        await _run_worker(rt)

    # then it is dead after that one dispatch, says why, is reported once and is never sent again
    row = await _message(rt, world.branch_a, message_id)
    assert row.dispatch_count == 1 and row.completed_at is None and row.dead_at is not None
    assert row.dead_reason.startswith("bad payload:") and "unexpected" in row.dead_reason
    assert [e["log_level"] for e in logs if e.get("id") == str(message_id)] == ["error"]
    assert _dead("verify_audit_chain") == dead_before + 1
    assert await _relay(rt, NOW) == 0
    assert await _checks(rt, world.branch_a, message_id) == 0
