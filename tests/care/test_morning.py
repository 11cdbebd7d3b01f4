"""The morning round at each branch's own 09:00: what is due today reaches each assignee once (a run
delivered twice tells nobody twice), the branch head hears of follow-ups overdue by the escalation delay
once, and an absent owner's follow-ups go to the named cover, who may come from another branch and sees
only what was handed over."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from branchdesk.availability import service as availability
from branchdesk.calendars import service as calendars
from branchdesk.care import follow_ups as work
from branchdesk.care import rules
from branchdesk.crm import service as crm
from branchdesk.jobs import tasks
from branchdesk.jobs.schedule import Daily, Scheduled
from branchdesk.notifications.models import Notification
from branchdesk.platform import outbox
from branchdesk.platform.clock import utcnow
from branchdesk.staffing import service as staffing
from branchdesk.tenants import repository as tenant_repository
from tests.care.conftest import acting, define, follow_ups, make_branch, make_client, plan
from tests.conftest import add_member, unique_employee_number

pytestmark = pytest.mark.external

WORKING_MONDAY = date(2026, 3, 16)


async def _notifications(rt, branch, kind: str) -> list[Notification]:
    async with rt.db.session(branch.id) as session:
        stmt = select(Notification).where(Notification.tenant_id == branch.id, Notification.kind == kind)
        return list(await session.scalars(stmt))


async def _morning_job(rt, branch, period: str) -> str:
    async with rt.db.session(branch.id) as session:
        message = await outbox.enqueue(session, branch.id, "care_morning", period=period)
    return await tasks.care_morning({"runtime": rt}, str(branch.id), str(message.id), period), message


async def test_each_assignee_is_reminded_once_of_what_is_due_today_even_when_the_job_runs_again(rt, care_branch):
    branch, ids = care_branch.branch, care_branch.ids
    # given follow-ups due on a working Monday: two for the first manager, one for the second
    for owner in (ids[care_branch.cm1], ids[care_branch.cm1], ids[care_branch.cm2]):
        await make_client(rt, branch, owner, kyc_expires_on=WORKING_MONDAY)
    await define(rt, branch, date(2026, 1, 1), offsets=[0])
    await plan(rt, branch, WORKING_MONDAY)
    # when the morning round runs, its outbox row is delivered again, and a second run happens anyway
    said, message = await _morning_job(rt, branch, WORKING_MONDAY.isoformat())
    again = await tasks.care_morning({"runtime": rt}, str(branch.id), str(message.id), WORKING_MONDAY.isoformat())
    rerun, _ = await _morning_job(rt, branch, WORKING_MONDAY.isoformat())
    # then each manager was told once, with their own count
    assert said.endswith("2 reminded, 0 escalated") and again == "already done"
    assert rerun.endswith("0 reminded, 0 escalated")
    told = {n.recipient_id: n.title for n in await _notifications(rt, branch, "care.due_today")}
    assert told.keys() == {ids[care_branch.cm1], ids[care_branch.cm2]}
    assert told[ids[care_branch.cm1]].startswith("2 follow-up(s) due today")


async def test_nothing_is_reminded_on_a_day_off(rt, care_branch):
    branch = care_branch.branch
    said, _ = await _morning_job(rt, branch, date(2026, 2, 17).isoformat())  # Spring Festival
    assert said == "not a working day"


async def test_a_follow_up_overdue_by_the_delay_is_escalated_to_the_branch_head_once(rt, care_branch):
    branch, ids = care_branch.branch, care_branch.ids
    # given a follow-up due on a Monday and an escalation delay of two business days
    late = await make_client(rt, branch, ids[care_branch.cm1], kyc_expires_on=WORKING_MONDAY)
    await define(rt, branch, date(2026, 1, 1), offsets=[0])
    await plan(rt, branch, WORKING_MONDAY)
    # when the morning rounds of Tuesday, Wednesday and Thursday run (Wednesday twice)
    tuesday, wednesday = WORKING_MONDAY + timedelta(days=1), WORKING_MONDAY + timedelta(days=2)
    first, _ = await _morning_job(rt, branch, tuesday.isoformat())
    second, _ = await _morning_job(rt, branch, wednesday.isoformat())
    third, _ = await _morning_job(rt, branch, wednesday.isoformat())
    # then it is escalated on Wednesday, once, to the branch head
    assert (first.endswith("0 escalated"), second.endswith("1 escalated"), third.endswith("0 escalated")) == (
        True,
        True,
        True,
    )
    [told] = await _notifications(rt, branch, "care.overdue")
    assert told.recipient_id == ids[care_branch.head]
    [escalated] = await follow_ups(rt, branch)
    assert escalated.client_id == late and escalated.escalated_at is not None


async def test_a_london_branch_gets_its_morning_round_at_its_own_nine_oclock(rt, world):
    shanghai = (await make_branch(rt, world)).branch
    london = (await make_branch(rt, world, timezone="Europe/London")).branch
    schedule = Scheduled("care_morning", Daily(at=time(9), catch_up=0))
    day = utcnow().date() + timedelta(days=3)
    # 08:55 in London is 16:55 in Shanghai (winter: UTC and UTC+8)
    before_london = datetime.combine(day, time(8, 55), UTC)
    at_london = datetime.combine(day, time(9, 0), UTC)
    due_before = {(r.branch_id, r.run_key) for r in schedule.runs([shanghai, london], before_london)}
    due_at = {(r.branch_id, r.run_key) for r in schedule.runs([shanghai, london], at_london)}
    key = f"care_morning:{day.isoformat()}"
    assert (shanghai.id, key) in due_before and (london.id, key) not in due_before
    assert (london.id, key) in due_at


async def _as(rt, session, number, branch):
    from tests.conftest import enter

    staff = await tenant_repository.staff_by_employee_number(session, number)
    return await enter(rt, session, staff.id, branch.code)


async def test_an_absent_owners_follow_ups_go_to_a_cover_from_another_branch_who_sees_only_those(
    rt, world, care_branch
):
    branch, ids = care_branch.branch, care_branch.ids
    async with acting(rt, branch) as (session, by):
        _, today = await calendars.branch_today(session, by)
        calendar = await calendars.branch_calendar(session, by, today, today + timedelta(days=30))
    tomorrow = calendar.next_working_day(today)
    # given a customer manager of another branch covering here for two weeks
    other = (await make_branch(rt, world)).branch
    cover_number = await add_member(rt, other, ["customer_manager"], unique_employee_number("CV"))
    async with acting(rt, branch) as (session, by):
        await staffing.add_membership(
            session,
            by,
            cover_number,
            ["customer_manager"],
            branch_code=branch.code,
            cover=staffing.Cover(today, today + timedelta(days=14)),
        )
    # and the owner of two clients away from now for ten days, naming that cover
    owner = ids[care_branch.cm1]
    handed = await make_client(rt, branch, owner, kyc_expires_on=tomorrow)
    await make_client(rt, branch, owner, kyc_expires_on=tomorrow + timedelta(days=40))  # not due: stays in the book
    async with rt.db.session(None) as session:
        me = await _as(rt, session, care_branch.cm1, branch)
        cover_staff = await tenant_repository.staff_by_employee_number(session, cover_number)
        start = utcnow()
        await availability.record_absence(
            session, me, owner, start, start + timedelta(days=10), "Annual leave", cover_id=cover_staff.id
        )
    await define(rt, branch, offsets=[0])
    await plan(rt, branch, today)
    # when the next working day's morning round runs
    said, _ = await _morning_job(rt, branch, tomorrow.isoformat())
    assert said.startswith("1 handed over")
    # then the cover holds the follow-up (remembering whose it was), sees its client's card, and nothing else
    async with rt.db.session(None) as session:
        cover = await _as(rt, session, cover_number, branch)
        mine = await work.list_follow_ups(session, cover, _page(), work.FollowUpFilters())
        [(_, held)] = mine.items
        assert (held.client_id, held.covering_for_id, held.assignee_id) == (handed, owner, cover_staff.id)
        cards = await work.cards_of(session, cover, [handed])
        assert list(cards) == [handed]
        assert await crm.clients_by_id(session, cover, [handed]) == []  # not the owner's book
        done = await work.complete(session, cover, held.id, rules.Outcome.REACHED, note="已提醒客户")
        assert done.state == "done" and done.interaction_id is not None
    told = await _notifications(rt, branch, "care.handed_over")
    assert [n.recipient_id for n in told] == [cover_staff.id]


def _page():
    from branchdesk.platform.pagination import PageRequest

    return PageRequest(first=20)


async def test_not_reached_retries_then_gives_up(rt, care_branch):
    branch, ids = care_branch.branch, care_branch.ids
    async with acting(rt, branch) as (session, by):
        _, today = await calendars.branch_today(session, by)
    client = await make_client(rt, branch, ids[care_branch.cm1], kyc_expires_on=today + timedelta(days=2))
    await define(rt, branch, offsets=[0], max_retries=1, retry_days=3)
    await plan(rt, branch, today)
    [made] = await follow_ups(rt, branch)
    async with rt.db.session(None) as session:
        me = await _as(rt, session, care_branch.cm1, branch)
        first = await work.complete(session, me, made.id, rules.Outcome.NOT_REACHED)
        first_state, first_due = first.state, first.due_on
        second = await work.complete(session, me, made.id, rules.Outcome.NOT_REACHED)
        assert (second.state, second.outcome, second.attempts) == ("done", "not_reached", 2)
    assert first_state == "open" and first_due >= today + timedelta(days=3)
    assert client == made.client_id
