"""The SLA watch: breaches found by a query on the stored deadlines and escalated exactly once per
complaint and kind of breach, however often the watch runs; each escalation is handed to the outbox
for the notification, which is announced once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from branchdesk.feedback import service as feedback
from branchdesk.feedback.models import ComplaintEscalation
from branchdesk.feedback.rules import ComplaintAction
from branchdesk.jobs import tasks
from branchdesk.platform import outbox
from branchdesk.platform.clock import utcnow
from branchdesk.platform.outbox import OutboxMessage
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number
from tests.feedback.conftest import acting, submit

pytestmark = pytest.mark.external


@pytest.fixture
async def branch(rt, world):
    """A branch of its own: the watch looks at every complaint of its branch."""
    head = unique_employee_number("H")
    made = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    return made, head, await add_member(rt, made, ["lobby_manager"])


async def _escalations(rt, branch_id: uuid.UUID) -> list[ComplaintEscalation]:
    async with rt.db.session(branch_id) as session:
        return list(
            await session.scalars(select(ComplaintEscalation).where(ComplaintEscalation.tenant_id == branch_id))
        )


async def _outbox(rt, branch_id: uuid.UUID, job: str) -> list[OutboxMessage]:
    async with rt.db.session(branch_id) as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.tenant_id == branch_id, OutboxMessage.job == job)
        )
        return list(rows)


async def _watch(rt, branch_id: uuid.UUID, period: str) -> str:
    """One scheduled run of the watch, as the tick hands it over: an outbox row, then the job."""
    async with rt.db.session(branch_id) as session:
        message = await outbox.enqueue(session, branch_id, "complaint_sla_watch", period=period)
    return await tasks.complaint_sla_watch({"runtime": rt}, str(branch_id), str(message.id), period)


async def test_the_watch_escalates_each_breach_once_however_often_it_runs(rt, branch):
    made, head, lobby = branch
    # given a complaint nobody acknowledged for three weeks, one acknowledged but not resolved, one on time
    ignored = await submit(rt, made, lobby, received_at=utcnow() - timedelta(days=21))
    slow = await submit(rt, made, lobby, received_at=utcnow() - timedelta(days=21))
    await submit(rt, made, lobby)
    async with acting(rt, made, head) as (session, by):
        await feedback.transition(session, by, slow.id, ComplaintAction.ACKNOWLEDGE)
    # when the watch runs twice
    assert await _watch(rt, made.id, "2026-11-30T09:00") == "3 escalated"
    assert await _watch(rt, made.id, "2026-11-30T09:15") == "0 escalated"
    # then each breach was escalated once: two for the ignored one, the resolution only for the slow one
    found = {(e.feedback_id, e.breach) for e in await _escalations(rt, made.id)}
    assert found == {(ignored.id, "acknowledge"), (ignored.id, "resolve"), (slow.id, "resolve")}
    # and each escalation has one outbox row for its notification
    notes = await _outbox(rt, made.id, "complaint_escalated")
    assert sorted((m.payload["feedback_id"], m.payload["breach"]) for m in notes) == sorted(
        (str(f), b) for f, b in found
    )


async def test_a_redelivered_watch_run_does_nothing(rt, branch):
    made, _, lobby = branch
    await submit(rt, made, lobby, received_at=utcnow() - timedelta(days=21))
    async with rt.db.session(made.id) as session:
        message = await outbox.enqueue(session, made.id, "complaint_sla_watch", period="p")
    ctx = {"runtime": rt}
    assert await tasks.complaint_sla_watch(ctx, str(made.id), str(message.id), "p") == "2 escalated"
    assert await tasks.complaint_sla_watch(ctx, str(made.id), str(message.id), "p") == "already done"


async def test_concurrent_watches_escalate_once(rt, branch):
    made, _, lobby = branch
    late = await submit(rt, made, lobby, received_at=utcnow() - timedelta(days=21))

    async def watch() -> list:
        async with acting(rt, made) as (session, system):
            return await feedback.escalate_breaches(session, system)

    # when two watches run at once, the second waits on the first's unique keys and then skips them
    first, second = await asyncio.gather(watch(), watch())
    assert sorted(len(found) for found in (first, second)) == [0, 2]
    assert {row[1] for row in first + second} == {late.id}
    assert len(await _escalations(rt, made.id)) == 2


async def test_the_notification_is_announced_once(rt, branch):
    made, _, lobby = branch
    await submit(rt, made, lobby, received_at=utcnow() - timedelta(days=21))
    await _watch(rt, made.id, "2026-11-30T10:00")
    ctx = {"runtime": rt}
    for message in await _outbox(rt, made.id, "complaint_escalated"):
        payload = message.payload
        first = await tasks.complaint_escalated(ctx, str(made.id), str(message.id), **payload)
        assert first.endswith("announced")
        again = await tasks.complaint_escalated(ctx, str(made.id), str(message.id), **payload)
        assert again == "already done"
    assert all(e.notified_at is not None for e in await _escalations(rt, made.id))
