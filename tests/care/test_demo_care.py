"""The demo's care: a plan per trigger, the planner's run for today, and on a working day follow-ups due
today for the customer managers; seeding again defines nothing twice and makes nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.calendars import service as calendars
from branchdesk.care import follow_ups as work
from branchdesk.care import rules
from branchdesk.care import service as care
from branchdesk.demo import DEMO_CARE_PLANS, seed_care
from branchdesk.platform.pagination import PageRequest
from tests.care.conftest import follow_ups, make_client

pytestmark = pytest.mark.external


async def test_demo_care_has_a_plan_per_trigger_and_follow_ups_due_today_on_a_working_day(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    system = Principal.system("tests", BranchRef(branch.id, branch.code))
    async with rt.db.session(branch.id) as session:
        _, today = await calendars.branch_today(session, system)
        working = (await calendars.branch_calendar(session, system, today, today)).is_working_day(today)
    for n in range(6):  # KYC expiring within the week: the planner has something to make
        await make_client(rt, branch, cm1, kyc_expires_on=today + timedelta(days=30 + n))
    # when the demo seeds the branch twice
    async with rt.db.session(branch.id) as session:
        first = await seed_care(session, system, [cm1])
    async with rt.db.session(branch.id) as session:
        again = await seed_care(session, system, [cm1])
        plans = await care.list_plans(session, system, PageRequest(first=50))
        due_today = await work.count_follow_ups(
            session, system, work.FollowUpFilters(assignee_id=cm1, due_from=today, due_until=today)
        )
    # then every trigger of the shipped set has its plan, the follow-ups were made once
    triggers = {rules.Trigger(p.trigger) for _, p in plans.items}
    assert triggers == {rules.Trigger(t) for _, t, *_ in DEMO_CARE_PLANS}
    assert first > 0 and again == 0
    assert len(await follow_ups(rt, branch)) == first
    # and on a working day the manager finds some due today
    assert (due_today > 0) == working
