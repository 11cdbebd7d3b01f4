"""The planner: due dates on the branch's business calendar, consent, quiet hours and the weekly cap
each suppress the right follow-up with a recorded reason, and every follow-up is made once however
often (or however concurrently, or however late) the planner runs."""

from __future__ import annotations

import asyncio
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from branchdesk.calendars import service as calendars
from branchdesk.care import rules
from branchdesk.care import service as care
from branchdesk.care.models import CarePlanRun, CareSkip
from tests.care.conftest import acting, define, follow_ups, make_client, plan

pytestmark = pytest.mark.external

SPRING_FESTIVAL = date(2026, 2, 16)  # a Monday inside the 15-23 February holiday
MAKE_UP_SATURDAY = date(2026, 2, 14)


async def test_a_due_date_on_the_spring_festival_moves_to_the_next_or_previous_working_day(rt, care_branch):
    # given a client whose KYC expires in the Spring Festival holiday, and two plans differing in the shift
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    client = await make_client(rt, branch, cm1, kyc_expires_on=SPRING_FESTIVAL)
    later = await define(rt, branch, date(2026, 1, 1), offsets=[0], shift=rules.Shift.NEXT)
    earlier = await define(rt, branch, date(2026, 1, 1), offsets=[0], shift=rules.Shift.PREVIOUS)
    # when the planner runs on the Friday before and in the holiday
    await plan(rt, branch, date(2026, 2, 13))
    await plan(rt, branch, date(2026, 2, 20))
    # then "next" lands on the first working day after the holiday, "previous" on the make-up Saturday
    assert [(f.client_id, f.due_on, f.occurrence) for f in await follow_ups(rt, branch, later.id)] == [
        (client, date(2026, 2, 24), SPRING_FESTIVAL)
    ]
    assert [(f.client_id, f.due_on) for f in await follow_ups(rt, branch, earlier.id)] == [(client, MAKE_UP_SATURDAY)]


async def test_a_due_date_in_a_branch_closure_moves_past_it(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    async with acting(rt, branch) as (session, by):
        _, today = await calendars.branch_today(session, by)
        calendar = await calendars.branch_calendar(session, by, today, today + timedelta(days=30))
        closed = calendar.add_business_days(today, 2)
        after = calendar.next_working_day(calendar.next_working_day(closed))
        await calendars.add_closure(session, by, closed, calendar.next_working_day(closed), "装修")
    # given a client whose KYC expires on the first day the branch is closed (two days)
    client = await make_client(rt, branch, cm1, kyc_expires_on=closed)
    kyc = await define(rt, branch, offsets=[0])
    # when the planner runs today
    await plan(rt, branch, today)
    # then the follow-up is due on the first working day after the closure
    assert [(f.client_id, f.due_on) for f in await follow_ups(rt, branch, kyc.id)] == [(client, after)]


async def _skips(rt, branch, plan_id):
    async with rt.db.session(branch.id) as session:
        rows = await session.scalars(
            select(CareSkip).where(CareSkip.tenant_id == branch.id, CareSkip.plan_id == plan_id)
        )
        return {(s.client_id, s.reason) for s in rows}


async def _runs(rt, branch, plan_id):
    async with rt.db.session(branch.id) as session:
        rows = await session.scalars(
            select(CarePlanRun).where(CarePlanRun.tenant_id == branch.id, CarePlanRun.plan_id == plan_id)
        )
        return list(rows)


async def test_consent_and_do_not_contact_suppress_the_follow_up_with_a_reason(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    day = date(2026, 3, 10)
    # given three clients whose KYC expires on the same day: one agreed to phone calls, one only to e-mail,
    # one asked not to be contacted at all
    willing = await make_client(rt, branch, cm1, kyc_expires_on=day)
    email_only = await make_client(rt, branch, cm1, kyc_expires_on=day, consents=["email"])
    left_alone = await make_client(rt, branch, cm1, kyc_expires_on=day, do_not_contact=True)
    phone = await define(rt, branch, date(2026, 1, 1), offsets=[0], channel=rules.Channel.PHONE)
    # when the planner runs
    [result] = await plan(rt, branch, day)
    # then only the willing client gets a call, and the run says why the others did not
    assert [f.client_id for f in await follow_ups(rt, branch, phone.id)] == [willing]
    assert await _skips(rt, branch, phone.id) == {(email_only, "no_consent"), (left_alone, "do_not_contact")}
    assert result.created == 1
    assert {k: v for k, v in result.skipped.items() if k != "recorded"} == {"no_consent": 1, "do_not_contact": 1}
    [run] = await _runs(rt, branch, phone.id)
    assert run.created == 1 and run.skipped["no_consent"] == 1


async def test_quiet_hours_suppress_a_plan_that_could_only_call_at_night(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    day = date(2026, 3, 11)
    client = await make_client(rt, branch, cm1, kyc_expires_on=day)
    async with acting(rt, branch) as (session, by):
        await care.set_settings(session, by, time(21), time(8), 5, 2)
    # given a plan calling between 21:30 and 23:00 and one calling from 18:00 to 22:00
    night = await define(rt, branch, date(2026, 1, 1), offsets=[0], contact_from=time(21, 30), contact_until=time(23))
    evening = await define(rt, branch, date(2026, 1, 1), offsets=[0], contact_from=time(18), contact_until=time(22))
    # when the planner runs
    await plan(rt, branch, day)
    # then the night plan is skipped for quiet hours; the evening one is cut to end at 21:00
    assert await follow_ups(rt, branch, night.id) == []
    assert await _skips(rt, branch, night.id) == {(client, "quiet_hours")}
    [made] = await follow_ups(rt, branch, evening.id)
    assert (made.contact_from, made.contact_until) == (time(18), time(21))


async def test_the_weekly_cap_keeps_the_highest_priority_plan(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    day = date(2026, 3, 12)  # a Thursday
    # given a client who is due three contacts in the same week, with a cap of two a week
    client = await make_client(rt, branch, cm1, kyc_expires_on=day, birthday=date(1980, 3, 12))
    async with acting(rt, branch) as (session, by):
        await care.set_settings(session, by, time(21), time(8), 2, 2)
    low = await define(rt, branch, date(2026, 1, 1), offsets=[0], priority=rules.Priority.LOW)
    urgent = await define(rt, branch, date(2026, 1, 1), offsets=[0], priority=rules.Priority.URGENT)
    birthday = await define(
        rt, branch, date(2026, 1, 1), trigger=rules.Trigger.BIRTHDAY, offsets=[0], priority=rules.Priority.HIGH
    )
    # when the planner runs
    await plan(rt, branch, day)
    # then the urgent and high ones are made; the low one is skipped for the cap
    made = {f.plan_id for f in await follow_ups(rt, branch)}
    assert made == {urgent.id, birthday.id}
    assert await _skips(rt, branch, low.id) == {(client, "weekly_cap")}


async def test_two_planners_racing_make_each_follow_up_once(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    day = date(2026, 4, 14)
    clients = [await make_client(rt, branch, cm1, kyc_expires_on=day + timedelta(days=n)) for n in range(5)]
    kyc = await define(rt, branch, date(2026, 1, 1), offsets=[0])
    # when two planners run at once on separate sessions, and once more after
    await asyncio.gather(plan(rt, branch, day), plan(rt, branch, day))
    await plan(rt, branch, day)
    # then each client has exactly one follow-up
    assert sorted(f.client_id for f in await follow_ups(rt, branch, kyc.id)) == sorted(clients)


async def test_a_planner_run_after_a_three_day_outage_makes_the_missed_follow_ups_once(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    monday = date(2026, 6, 1)
    # given clients whose KYC expires over three days the planner did not run (it last ran the week before)
    missed = [await make_client(rt, branch, cm1, kyc_expires_on=monday + timedelta(days=n)) for n in range(3)]
    kyc = await define(rt, branch, monday - timedelta(days=30), offsets=[0])
    await plan(rt, branch, monday - timedelta(days=20))
    assert await follow_ups(rt, branch, kyc.id) == []
    # when it runs again on Thursday, twice
    await plan(rt, branch, monday + timedelta(days=3))
    await plan(rt, branch, monday + timedelta(days=3))
    # then the three missed follow-ups exist, once each, due on their own (past) days
    found = await follow_ups(rt, branch, kyc.id)
    assert [(f.client_id, f.due_on) for f in found] == [(c, monday + timedelta(days=n)) for n, c in enumerate(missed)]


async def test_editing_a_plan_changes_future_occurrences_only(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    async with acting(rt, branch) as (session, by):
        _, today = await calendars.branch_today(session, by)
    soon = await make_client(rt, branch, cm1, kyc_expires_on=today + timedelta(days=40))
    kyc = await define(rt, branch, offsets=[-35])
    await plan(rt, branch, today)
    [before] = await follow_ups(rt, branch, kyc.id)
    # when the plan is changed to 30 days before expiry and the planner runs on the day the new occurrence
    # falls due (a weekend or holiday moves it to a working day, perhaps past a week after today + 3)
    async with acting(rt, branch) as (session, by):
        await care.update_plan(session, by, kyc.id, care.PlanDraft(**{**_draft_of(kyc), "offsets": [-30]}))
        calendar = await calendars.branch_calendar(session, by, today, today + timedelta(days=40))
    due = rules.due_on(calendar, today + timedelta(days=10), rules.Shift(kyc.shift))
    await plan(rt, branch, due)
    # then the follow-up already made stays as it was, and the new rule's occurrence is added
    found = await follow_ups(rt, branch, kyc.id)
    assert [(f.id == before.id, f.client_id, f.occurrence) for f in found] == [
        (True, soon, today + timedelta(days=5)),
        (False, soon, today + timedelta(days=10)),
    ]


def _draft_of(found) -> dict:
    return {
        "name": found.name,
        "trigger": rules.Trigger(found.trigger),
        "channel": rules.Channel(found.channel),
        "title": found.title,
    }


async def test_simulate_plan_shows_what_would_be_made_without_writing(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    async with acting(rt, branch) as (session, by):
        _, today = await calendars.branch_today(session, by)
    willing = await make_client(rt, branch, cm1, kyc_expires_on=today + timedelta(days=10))
    refused = await make_client(rt, branch, cm1, kyc_expires_on=today + timedelta(days=11), consents=[])
    kyc = await define(rt, branch, offsets=[0])
    async with acting(rt, branch) as (session, by):
        simulation = await care.simulate_plan(session, by, kyc.id)
    assert simulation.would_create == 1
    assert simulation.skipped == {"no_consent": 1}
    assert [(i.client_id, i.skip_reason) for i in simulation.items] == [(willing, None), (refused, "no_consent")]
    assert await follow_ups(rt, branch, kyc.id) == []
