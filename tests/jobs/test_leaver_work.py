"""A customer manager leaves the bank with open work: the branch's staff_deactivated job hands their open
follow-ups to the branch head and routes their open handoffs again, once however often it is delivered."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from branchdesk.care.models import FollowUp
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.models import Handoff
from branchdesk.jobs import tasks
from branchdesk.staffing import service as staffing
from tests.care.conftest import acting, define, make_branch, make_client, plan
from tests.conftest import SYSTEM

pytestmark = pytest.mark.external


async def test_a_leavers_follow_ups_and_handoffs_are_handed_on_once(rt, world):
    # given a customer manager with an open follow-up (KYC expiring) and an open referral of their client
    scene = await make_branch(rt, world)
    branch, head, cm1 = scene.branch, scene.ids[scene.head], scene.ids[scene.cm1]
    day = date(2026, 3, 10)
    client = await make_client(rt, branch, cm1, kyc_expires_on=day)
    kyc = await define(rt, branch, date(2026, 1, 1), offsets=[0])
    await plan(rt, branch, day)
    async with acting(rt, branch, scene.cm2) as (session, by):
        referral = await handoffs.raise_handoff(
            session, by, handoffs.HandoffDraft("referral", "想了解理财产品", client_id=client)
        )
    assert referral.assignee_id == cm1

    # when the manager leaves the bank and the branch's job runs, twice (delivered at least once)
    async with rt.db.platform_session() as platform, rt.db.session(None) as session:
        await staffing.deactivate(session, SYSTEM, platform, scene.cm1)
    async with rt.db.platform_session() as session:
        row = (
            await session.execute(
                text(
                    "select id, payload from outbox where tenant_id = :t and job = 'staff_deactivated' "
                    "order by created_at desc limit 1"
                ),
                {"t": branch.id},
            )
        ).one()
    ctx = {"runtime": rt}
    first = await tasks.staff_deactivated(ctx, str(branch.id), str(row.id), **row.payload)
    again = await tasks.staff_deactivated(ctx, str(branch.id), str(row.id), **row.payload)

    # then the follow-up is the head's (remembering whose it was), the referral went to someone on duty
    assert first.endswith("1 follow-ups and 1 handoffs handed on") and again == "already done"
    async with rt.db.session(branch.id) as session:
        [follow_up] = list(await session.scalars(select(FollowUp).where(FollowUp.plan_id == kyc.id)))
        moved = await session.get(Handoff, (branch.id, referral.id))
    assert (follow_up.assignee_id, follow_up.covering_for_id, follow_up.state) == (head, cm1, "open")
    assert moved is not None and moved.state == "submitted"
    assert moved.assignee_id in (scene.ids[scene.cm2], head)  # the other customer manager, else the head
