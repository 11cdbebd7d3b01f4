"""The outbox relay: committed outbox rows to the ARQ queue, under the deterministic job id
``outbox:<id>`` (see :mod:`branchdesk.platform.outbox`)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from arq.connections import ArqRedis

from branchdesk.platform import metrics, outbox
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import Database
from branchdesk.runtime import Runtime

log = structlog.get_logger(__name__)


async def relay(
    db: Database, queue: ArqRedis, *, redispatch_after: timedelta, max_dispatches: int, batch: int = 200
) -> int:
    """Hand committed, unfinished rows to ARQ; give up those sent ``max_dispatches`` times. Safe to run
    concurrently and repeatedly. Returns how many rows were sent.

    ARQ refuses a job id it still holds (queued, running, or retrying after a transient failure): that
    work is still on its way, so the row is looked at again after ``redispatch_after`` but its
    ``dispatch_count`` — what the dead-letter cap counts — does not rise."""
    now = utcnow()
    dead: list[tuple[str, str, str, int]] = []
    sent: list[tuple[str, bool]] = []
    async with db.platform_session() as session:
        rows = await outbox.due(session, redispatch_after=redispatch_after, batch=batch)
        for row in rows:
            if row.dispatch_count >= max_dispatches:  # its last dispatch had its full time, and failed too
                row.dead_at = now
                row.dead_reason = f"not completed after {row.dispatch_count} dispatches"
                dead.append((row.job, str(row.tenant_id), str(row.id), row.dispatch_count))
                continue
            accepted = await queue.enqueue_job(
                row.job, str(row.tenant_id), str(row.id), _job_id=row.job_id, **row.payload
            )
            row.dispatched_at = now
            if accepted is not None:
                sent.append((row.job, row.dispatch_count > 0))
                row.dispatch_count += 1
    for job, branch, message_id, dispatches in dead:  # once committed: a row is declared dead once
        log.error("outbox row dead", job=job, branch=branch, id=message_id, dispatches=dispatches)
        metrics.outbox_dead.labels(job).inc()
    for job, again in sent:
        if again:
            metrics.outbox_redispatched.labels(job).inc()
    metrics.outbox_dispatched.inc(len(sent))
    return len(sent)


async def relay_forever(rt: Runtime, queue: ArqRedis, interval: float = 1.0) -> None:
    redispatch = timedelta(seconds=rt.settings.outbox_redispatch_seconds)
    while True:
        try:
            await relay(rt.db, queue, redispatch_after=redispatch, max_dispatches=rt.settings.outbox_max_dispatches)
            await outbox.observe_backlog(rt.db)
        except Exception:  # keep relaying; the rows stay in PostgreSQL until they are sent
            log.exception("outbox relay failed")
        await asyncio.sleep(interval)
