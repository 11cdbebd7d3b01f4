"""The SLA watch: handoffs past due are found by a query and escalated to the branch head once, however
often (or how concurrently) the scheduled job is delivered; those past their type's hard limit expire."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.models import HandoffEscalation
from branchdesk.handoffs.rules import HandoffAction
from branchdesk.jobs import tasks
from branchdesk.platform import outbox
from branchdesk.platform.errors import DomainError
from tests.handoffs.conftest import acting, inbox, overdue, raise_

pytestmark = pytest.mark.external


async def _watch(rt, branch_id: uuid.UUID, period: str) -> str:
    """One scheduled run of the watch, as the tick hands it over: an outbox row, then the job."""
    async with rt.db.session(branch_id) as session:
        message = await outbox.enqueue(session, branch_id, "handoff_sla_watch", period=period)
    return await tasks.handoff_sla_watch({"runtime": rt}, str(branch_id), str(message.id), period)


async def _escalations(rt, branch_id: uuid.UUID) -> list[uuid.UUID]:
    async with rt.db.session(branch_id) as session:
        rows = await session.scalars(
            select(HandoffEscalation.handoff_id).where(HandoffEscalation.tenant_id == branch_id)
        )
        return list(rows)


async def test_a_breach_is_escalated_to_the_head_once_under_duplicate_delivery(rt, team):
    # given one handoff past due, one accepted and past due, and one on time
    late = await raise_(rt, team, team.teller)
    slow = await raise_(rt, team, team.teller)
    on_time = await raise_(rt, team, team.teller)
    async with acting(rt, team.branch, team.it) as (session, by):
        await handoffs.transition(session, by, slow.id, HandoffAction.ACCEPT)
    await overdue(rt, team.branch.id, late.id)
    await overdue(rt, team.branch.id, slow.id)
    # when one run of the watch is delivered twice at once, and another run comes later
    async with rt.db.session(team.branch.id) as session:
        message = await outbox.enqueue(session, team.branch.id, "handoff_sla_watch", period="2026-11-30T09:00")
    job = tasks.handoff_sla_watch({"runtime": rt}, str(team.branch.id), str(message.id), "2026-11-30T09:00")
    again = tasks.handoff_sla_watch({"runtime": rt}, str(team.branch.id), str(message.id), "2026-11-30T09:00")
    assert sorted(await asyncio.gather(job, again)) == ["2 escalated, 0 expired", "already done"]
    assert await _watch(rt, team.branch.id, "2026-11-30T09:15") == "0 escalated, 0 expired"
    # then each late handoff was escalated once, the one on time not at all
    assert sorted(await _escalations(rt, team.branch.id)) == sorted([late.id, slow.id])
    assert on_time.id not in await _escalations(rt, team.branch.id)
    # and the branch head was told once about each
    told = await inbox(rt, team.branch.id, "handoff.escalated")
    assert sorted(told) == sorted([(team.id(team.head), late.id), (team.id(team.head), slow.id)])


async def test_a_handoff_past_its_hard_limit_expires_and_takes_no_more_steps(rt, team):
    # given client-service help (its type expires it) past its limit, and IT help (never expires) past due
    stale = await raise_(rt, team, team.teller, "client_service")
    assert stale.expires_at is not None and stale.assignee_id == team.id(team.lobby)
    await overdue(rt, team.branch.id, stale.id, expired=True)
    # when the watch runs
    assert await _watch(rt, team.branch.id, "2026-11-30T10:00") == "1 escalated, 1 expired"
    # then it is expired, and accepting it now is refused naming that state
    async with acting(rt, team.branch, team.lobby) as (session, by):
        with pytest.raises(DomainError) as refused:
            await handoffs.transition(session, by, stale.id, HandoffAction.ACCEPT)
    assert refused.value.code == "HANDOFF_TRANSITION_REFUSED" and "expired" in refused.value.message("en")
    assert await _watch(rt, team.branch.id, "2026-11-30T10:15") == "0 escalated, 0 expired"


async def test_the_due_time_counts_business_hours(rt, team):
    # IT help is due in 4 business hours, a referral in 16: never before those many hours have passed
    it_help = await raise_(rt, team, team.teller)
    referral = await raise_(rt, team, team.lobby, "referral")
    assert it_help.due_at - it_help.created_at >= timedelta(hours=4)
    assert referral.due_at > it_help.due_at
    assert referral.expires_at is not None and referral.expires_at > referral.due_at
