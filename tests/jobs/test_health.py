"""The jobs health view reports a stuck queue apart from the servers' readiness, and the metrics show
the outbox's backlog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from branchdesk.platform.clock import utcnow
from branchdesk.platform.outbox import OutboxMessage
from tests.jobs.support import drain, enqueue, sample

pytestmark = pytest.mark.external


async def test_the_queue_is_reported_stuck_when_its_oldest_pending_row_waits_too_long(rt, world, client):
    await drain(rt)
    fine = await client.get("/healthz/jobs")
    assert fine.status_code == 200 and fine.json()["stuck"] is False

    # given a row pending for two hours (no worker has taken it)
    message_id = await enqueue(rt, world.branch_a.id)
    async with rt.db.session(world.branch_a.id) as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.tenant_id == world.branch_a.id, OutboxMessage.id == message_id)
            .values(created_at=utcnow() - timedelta(hours=2))
        )

    stuck = await client.get("/healthz/jobs")
    ready = await client.get("/readyz")

    assert stuck.status_code == 503
    body = stuck.json()
    assert body["stuck"] is True and body["pending"] >= 1 and body["oldest_pending_seconds"] >= 7200
    assert sample("branchdesk_outbox_oldest_pending_age_seconds") >= 7200
    assert ready.status_code == 200  # the servers are fine: readiness is not the queue's health
    await drain(rt)
    assert (await client.get("/healthz/jobs")).json()["stuck"] is False
