"""The business calendar on real servers: the seeded 2026 arrangement, loading a branch's calendar in
two statements, closures with their typed refusals and their isolation, and head office's changes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.calendars import service as calendars
from branchdesk.calendars.calculator import DayKind
from branchdesk.calendars.models import BranchClosure, CalendarDayKind
from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, Forbidden, InvalidInput
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, enter, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external

FUTURE = date(2090, 1, 1)  # closures must lie ahead; far enough that no test's "today" reaches it


async def new_branch(rt, world, timezone="Asia/Shanghai"):
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head, timezone=timezone)
    return branch, head


async def as_member(rt, session, employee_number, branch) -> Principal:
    staff = await tenants.staff_by_employee_number(session, employee_number)
    return await enter(rt, session, staff.id, branch.code)


def system_in(branch) -> Principal:
    return Principal.system("test", BranchRef(branch.id, branch.code))


async def test_the_2026_mainland_arrangement_is_seeded(rt, world):
    async with rt.db.session(world.branch_a.id) as session:
        days = await calendars.holidays(session, system_in(world.branch_a), 2026, "CN")
    cn = [d for d in days if d.region == "CN"]
    holidays = {d.day for d in cn if d.kind is CalendarDayKind.HOLIDAY}
    make_up = {d.day for d in cn if d.kind is CalendarDayKind.WORKDAY}
    assert len(holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert make_up == {date(2026, *md) for md in ((1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10))}
    assert {date(2026, 2, 15), date(2026, 2, 23), date(2026, 10, 7), date(2026, 6, 19)} <= holidays
    assert date(2026, 2, 24) not in holidays


async def test_a_branch_calendar_loads_in_two_statements(rt, world, sql_counter):
    branch, _ = await new_branch(rt, world)
    async with rt.db.session(branch.id) as session:
        with sql_counter:
            calendar = await calendars.branch_calendar(session, system_in(branch), date(2026, 1, 1), date(2026, 12, 31))
    assert sql_counter.count <= 2
    assert calendar.add_business_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add_business_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert calendar.day(date(2026, 10, 10)).kind is DayKind.MAKE_UP
    assert calendar.day(date(2026, 10, 1)).name == ("National Day", "国庆节")


async def test_a_hong_kong_and_a_london_branch_do_not_follow_the_mainland_calendar(rt, world):
    for timezone, nine_utc in (
        ("Asia/Hong_Kong", datetime(2026, 2, 16, 1, tzinfo=UTC)),
        ("Europe/London", datetime(2026, 2, 16, 9, tzinfo=UTC)),
    ):
        branch, _ = await new_branch(rt, world, timezone)
        async with rt.db.session(branch.id) as session:
            calendar = await calendars.branch_calendar(session, system_in(branch), date(2026, 2, 1), date(2026, 3, 31))
        assert calendar.is_working_day(date(2026, 2, 16)), timezone
        assert calendar.next_at(datetime(2026, 2, 15, 12, tzinfo=UTC), time(9)) == nine_utc


async def test_a_closure_closes_the_branch_and_only_that_branch(rt, world):
    mine, head = await new_branch(rt, world)
    other, _ = await new_branch(rt, world)
    async with rt.db.session(None) as session:
        by = await as_member(rt, session, head, mine)
        closure = await calendars.add_closure(session, by, FUTURE, FUTURE + timedelta(days=2), " Renovation ")
    assert closure.reason == "Renovation"
    async with rt.db.session(mine.id) as session:
        calendar = await calendars.branch_calendar(session, system_in(mine), FUTURE, FUTURE + timedelta(days=30))
    assert calendar.next_working_day(FUTURE - timedelta(days=0)) == date(2090, 1, 4)  # Jan 1 2090 is a Sunday
    assert calendar.day(FUTURE + timedelta(days=1)).kind is DayKind.CLOSED
    async with rt.db.session(other.id) as session:
        elsewhere = await calendars.branch_calendar(session, system_in(other), FUTURE, FUTURE + timedelta(days=30))
        assert await calendars.closures(session, system_in(other)) == []
        assert await calendars.closures_by_id(session, system_in(other), [closure.id]) == []
    assert elsewhere.is_working_day(date(2090, 1, 2))
    async with rt.db.session(mine.id) as session:
        events = (await session.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == mine.id))).all()
    assert "calendar.closure_added" in events


async def test_closures_are_refused_with_typed_errors_and_nothing_is_written(rt, world):
    branch, head = await new_branch(rt, world)
    async with rt.db.session(None) as session:
        by = await as_member(rt, session, head, branch)
        await calendars.add_closure(session, by, date(2091, 5, 1), date(2091, 5, 5), "Local holiday")

    async def refused(starts_on, ends_on, reason="Renovation"):
        async with rt.db.session(None) as session:
            by = await as_member(rt, session, head, branch)
            with pytest.raises(DomainError) as caught:
                await calendars.add_closure(session, by, starts_on, ends_on, reason)
        errors = caught.value.errors if isinstance(caught.value, InvalidInput) else [caught.value]
        return [(e.code, e.field) for e in errors]

    today = utcnow().date()
    assert await refused(date(2091, 5, 5), date(2091, 5, 6)) == [("CALENDAR_CLOSURE_OVERLAP", "startsOn")]
    assert await refused(date(2091, 4, 1), date(2091, 6, 1)) == [("CALENDAR_CLOSURE_OVERLAP", "startsOn")]
    assert await refused(today - timedelta(days=3), today + timedelta(days=3)) == [
        ("CALENDAR_CLOSURE_IN_PAST", "startsOn")
    ]
    assert await refused(date(2091, 6, 2), date(2091, 6, 1), "") == [
        ("CALENDAR_CLOSURE_ORDER", "endsOn"),
        ("CALENDAR_CLOSURE_REASON", "reason"),
    ]
    assert await refused(date(2091, 6, 1), date(2092, 6, 1)) == [("CALENDAR_CLOSURE_ORDER", "endsOn")]
    assert await refused(date(2100, 1, 1), date(2100, 1, 2)) == [
        ("CALENDAR_DATE_RANGE", "startsOn"),
        ("CALENDAR_DATE_RANGE", "endsOn"),
    ]
    async with rt.db.session(branch.id) as session:
        assert [(c.starts_on, c.ends_on) for c in await calendars.closures(session, system_in(branch))] == [
            (date(2091, 5, 1), date(2091, 5, 5))
        ]


async def test_a_closure_that_has_begun_cannot_be_removed_one_ahead_can(rt, world):
    branch, head = await new_branch(rt, world)
    today = utcnow().date()
    async with rt.db.session(branch.id) as session:
        begun = BranchClosure(
            tenant_id=branch.id, starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=1), reason="Flood"
        )
        session.add(begun)
    async with rt.db.session(None) as session:
        by = await as_member(rt, session, head, branch)
        ahead = await calendars.add_closure(session, by, date(2093, 1, 5), date(2093, 1, 5), "Move")
        with pytest.raises(DomainError) as caught:
            await calendars.remove_closure(session, by, begun.id)
        assert (caught.value.code, caught.value.field) == ("CALENDAR_CLOSURE_IN_PAST", "id")
        with pytest.raises(DomainError) as missing:
            await calendars.remove_closure(session, by, uuid.uuid4())
        assert missing.value.code == "NOT_FOUND"
        assert (await calendars.remove_closure(session, by, ahead.id)).id == ahead.id
    async with rt.db.session(branch.id) as session:
        assert [c.id for c in await calendars.closures(session, system_in(branch))] == [begun.id]


async def test_a_teller_reads_the_calendar_but_cannot_close_the_branch(rt, world):
    branch, _ = await new_branch(rt, world)
    teller = await add_member(rt, branch, ["teller"])
    async with rt.db.session(None) as session:
        by = await as_member(rt, session, teller, branch)
        assert date(2026, 2, 24) == await calendars.next_working_day(session, by, date(2026, 2, 15))
        with pytest.raises(Forbidden):
            await calendars.add_closure(session, by, date(2094, 1, 4), date(2094, 1, 4), "No")


async def test_head_office_sets_and_removes_entries_in_its_own_trail(rt, world):
    region = "XA"
    entry = calendars.HolidayEntry(date(2097, 3, 2), CalendarDayKind.HOLIDAY, "行庆日", "Bank day", region)
    async with rt.db.session(None) as session:
        by = await as_member(rt, session, world.ho_admin, world.head_office)
        saved = await calendars.set_holiday(session, by, entry)
        assert (saved.region, saved.day, saved.name_en) == (region, date(2097, 3, 2), "Bank day")
        again = await calendars.load_holidays(session, by, [entry])
        assert again == calendars.Loaded(created=0, updated=0, unchanged=1)
        renamed = await calendars.set_holiday(
            session, by, calendars.HolidayEntry(entry.day, CalendarDayKind.WORKDAY, "调休上班", "Make-up day", region)
        )
        assert renamed.kind is CalendarDayKind.WORKDAY
        removed = await calendars.remove_holiday(session, by, entry.day, region)
        assert removed.name_en == "Make-up day"
        assert await calendars.holidays(session, by, 2097, region) == []
    async with rt.db.session(world.head_office.id) as session:
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.tenant_id == world.head_office.id, AuditEvent.action.like("calendar.%")
                )
            )
        ).all()
    assert actions.count("calendar.days_set") >= 2 and "calendar.day_removed" in actions


async def test_a_branch_head_cannot_publish_holidays_and_bad_entries_are_refused_by_field(rt, world):
    async with rt.db.session(None) as session:
        by = await as_member(rt, session, world.head_a, world.branch_a)
        with pytest.raises(Forbidden):
            await calendars.set_holiday(
                session, by, calendars.HolidayEntry(date(2097, 1, 1), CalendarDayKind.HOLIDAY, "元旦", "New Year", "CN")
            )
    async with rt.db.session(None) as session:
        by = await as_member(rt, session, world.ho_admin, world.head_office)
        with pytest.raises(InvalidInput) as caught:
            await calendars.set_holiday(
                session, by, calendars.HolidayEntry(date(1999, 1, 1), CalendarDayKind.HOLIDAY, " ", "x" * 101, "cn")
            )
    assert [(e.code, e.field) for e in caught.value.errors] == [
        ("CALENDAR_DATE_RANGE", "date"),
        ("CALENDAR_REGION", "region"),
        ("CALENDAR_HOLIDAY_NAME", "nameZh"),
        ("CALENDAR_HOLIDAY_NAME", "nameEn"),
    ]
