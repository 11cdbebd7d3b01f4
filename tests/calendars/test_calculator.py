"""The business-calendar arithmetic, by hand-checked examples: no database, a calendar built in the test."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from branchdesk.calendars.calculator import BusinessCalendar, Closure, DayKind, parse_hours
from branchdesk.calendars.models import CalendarDayKind
from branchdesk.calendars.service import build_calendar
from branchdesk.platform.errors import DomainError
from branchdesk.tenants.models import Branch

SHANGHAI, LONDON, HONG_KONG, NEW_YORK = (
    ZoneInfo(z) for z in ("Asia/Shanghai", "Europe/London", "Asia/Hong_Kong", "America/New_York")
)
SPRING = ("Spring Festival", "春节")
MAKE_UP = ("Spring Festival make-up working day", "春节调休上班")
QINGMING = ("Qingming Festival", "清明节")
# Two periods a day with a lunch break: seven business hours.
LUNCH_BREAK = {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def mainland_2026(**extra) -> BusinessCalendar:
    """A Shanghai branch over the first half of 2026 with the Spring Festival and Qingming arrangements."""
    holidays = {date(2026, 2, 15) + timedelta(days=n): SPRING for n in range(9)}
    holidays |= {date(2026, 4, 4) + timedelta(days=n): QINGMING for n in range(3)}
    make_up = {date(2026, 2, 14): MAKE_UP, date(2026, 2, 28): MAKE_UP}
    return BusinessCalendar(
        SHANGHAI, date(2026, 1, 1), date(2026, 6, 30), holidays=holidays, make_up_days=make_up, **extra
    )


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


# --- days ----------------------------------------------------------------------------------------


def test_a_due_date_across_the_spring_festival_lands_on_the_make_up_saturday_then_after_the_holiday():
    calendar = mainland_2026()
    friday = date(2026, 2, 13)
    assert calendar.add_business_days(friday, 1) == date(2026, 2, 14)  # the make-up Saturday works
    assert calendar.add_business_days(friday, 2) == date(2026, 2, 24)  # Sun 15 to Mon 23 are the holiday
    assert calendar.add_business_days(date(2026, 2, 24), -2) == date(2026, 2, 13)
    assert calendar.day(date(2026, 2, 14)).kind is DayKind.MAKE_UP
    assert calendar.day(date(2026, 2, 16)).name == SPRING


def test_a_due_date_on_a_holiday_moves_to_the_next_working_day_or_the_previous_per_plan():
    calendar = mainland_2026()
    assert calendar.on_or_after(date(2026, 2, 18)) == date(2026, 2, 24)
    assert calendar.on_or_before(date(2026, 2, 18)) == date(2026, 2, 14)
    assert calendar.on_or_after(date(2026, 2, 12)) == date(2026, 2, 12)  # a working day stays
    assert calendar.add_business_days(date(2026, 2, 15), 0) == date(2026, 2, 24)


def test_working_days_around_the_spring_festival():
    calendar = mainland_2026()
    assert calendar.working_days(date(2026, 2, 12), date(2026, 3, 2)) == [
        date(2026, 2, 12),
        date(2026, 2, 13),
        date(2026, 2, 14),  # make-up Saturday
        date(2026, 2, 24),
        date(2026, 2, 25),
        date(2026, 2, 26),
        date(2026, 2, 27),
        date(2026, 2, 28),  # make-up Saturday
        date(2026, 3, 2),
    ]
    assert calendar.next_working_day(date(2026, 2, 28)) == date(2026, 3, 2)
    assert calendar.previous_working_day(date(2026, 2, 24)) == date(2026, 2, 14)


def test_a_make_up_day_opens_with_mondays_hours():
    hours = parse_hours({"mon": [["08:30", "17:30"]], "fri": [["09:00", "16:00"]], "sat": [["10:00", "12:00"]]})
    calendar = mainland_2026(hours=hours)
    assert calendar.day(date(2026, 2, 14)).periods == ((time(8, 30), time(17, 30)),)
    assert calendar.day(date(2026, 2, 7)).periods == ((time(10), time(12)),)  # an ordinary Saturday


def test_a_branch_closure_closes_its_days_even_a_make_up_day():
    closures = [
        Closure(date(2026, 3, 10), date(2026, 3, 11), "Renovation"),
        Closure(date(2026, 2, 28), date(2026, 2, 28), "Move"),
    ]
    calendar = mainland_2026(closures=closures)
    assert calendar.next_working_day(date(2026, 3, 9)) == date(2026, 3, 12)
    assert calendar.day(date(2026, 3, 10)).kind is DayKind.CLOSED
    assert calendar.day(date(2026, 3, 10)).name == ("Renovation", "Renovation")
    assert not calendar.is_working_day(date(2026, 2, 28))
    assert calendar.add_business_days(date(2026, 3, 9), 2) == date(2026, 3, 13)


def test_without_business_hours_a_branch_works_monday_to_friday_nine_to_five():
    assert parse_hours({}) == {d: ((time(9), time(17)),) for d in range(5)}
    assert parse_hours({"sat": [["10:00", "14:00"]]}) == {5: ((time(10), time(14)),)}


def test_a_region_entry_overrides_an_entry_for_all_regions():
    branch = Branch(timezone="Asia/Shanghai", business_hours={})
    rows = [
        (CalendarDayKind.HOLIDAY.value, "ALL", date(2026, 3, 2), date(2026, 3, 2), "Bank day", "行庆日"),
        (CalendarDayKind.WORKDAY.value, "CN", date(2026, 3, 2), date(2026, 3, 2), "Make-up", "调休上班"),
        (CalendarDayKind.HOLIDAY.value, "ALL", date(2026, 3, 3), date(2026, 3, 3), "Bank day", "行庆日"),
        ("closed", "", date(2026, 3, 4), date(2026, 3, 5), "Renovation", "Renovation"),
    ]
    calendar = build_calendar(branch, date(2026, 3, 1), date(2026, 3, 31), rows)
    assert calendar.day(date(2026, 3, 2)).kind is DayKind.MAKE_UP
    assert calendar.day(date(2026, 3, 3)).kind is DayKind.HOLIDAY
    assert [calendar.day(date(2026, 3, d)).kind for d in (4, 5, 6)] == [DayKind.CLOSED, DayKind.CLOSED, DayKind.WORKING]


def test_asking_outside_the_loaded_dates_is_a_typed_error():
    calendar = mainland_2026()
    with pytest.raises(DomainError) as refused:
        calendar.is_working_day(date(2026, 7, 1))
    assert refused.value.code == "CALENDAR_DATE_RANGE"
    with pytest.raises(DomainError, match="outside the calendar"):
        calendar.add_business_hours(local(SHANGHAI, 2026, 6, 30, 16), timedelta(hours=2))
    with pytest.raises(DomainError, match="outside the calendar"):
        calendar.next_working_day(date(2026, 6, 30))  # a Tuesday: the Wednesday is not loaded


# --- business hours ------------------------------------------------------------------------------


def test_business_hours_across_a_weekend_and_a_holiday():
    calendar = mainland_2026(hours=parse_hours(LUNCH_BREAK))
    received = local(SHANGHAI, 2026, 4, 2, 15)  # Thursday; Sat 4 to Mon 6 is Qingming
    due = calendar.add_business_hours(received, timedelta(hours=12))
    # Thu 15-17 (2h), Fri 9-12 and 13-17 (7h), then Tue 7 April 9-12 (3h)
    assert due == local(SHANGHAI, 2026, 4, 7, 12).astimezone(UTC)
    assert due.tzinfo is UTC
    assert calendar.business_time_between(received, due) == timedelta(hours=12)
    assert calendar.business_time_between(due, received) == -timedelta(hours=12)


def test_a_deadline_ending_at_closing_time_is_closing_time_and_lunch_does_not_count():
    calendar = mainland_2026(hours=parse_hours(LUNCH_BREAK))
    assert calendar.add_business_hours(local(SHANGHAI, 2026, 3, 2, 9), timedelta(hours=7)) == local(
        SHANGHAI, 2026, 3, 2, 17
    ).astimezone(UTC)
    assert calendar.add_business_hours(local(SHANGHAI, 2026, 3, 2, 11), timedelta(hours=2)) == local(
        SHANGHAI, 2026, 3, 2, 14
    ).astimezone(UTC)
    # zero hours from a day off: the next opening
    assert calendar.add_business_hours(local(SHANGHAI, 2026, 2, 15, 10), timedelta(0)) == local(
        SHANGHAI, 2026, 2, 24, 9
    ).astimezone(UTC)


def test_an_sla_breach_is_business_time_not_wall_clock_time():
    calendar = mainland_2026()
    received = local(SHANGHAI, 2026, 2, 13, 16)  # Friday before the Spring Festival
    now = local(SHANGHAI, 2026, 2, 24, 10)  # first day back
    # Fri 16-17, make-up Sat 9-17, Tue 9-10
    assert calendar.business_time_between(received, now) == timedelta(hours=10)
    assert now - received > timedelta(days=10)


def test_a_london_branch_across_the_spring_dst_change():
    calendar = BusinessCalendar(LONDON, date(2026, 3, 1), date(2026, 4, 30))
    received = local(LONDON, 2026, 3, 27, 15)  # Friday, GMT; clocks go forward on Sunday 29 March
    due = calendar.add_business_hours(received, timedelta(hours=4))
    assert due == datetime(2026, 3, 30, 10, tzinfo=UTC)  # Monday 11:00 BST
    assert due.astimezone(LONDON).hour == 11
    assert calendar.business_time_between(local(LONDON, 2026, 3, 27, 9), local(LONDON, 2026, 3, 30, 17)) == timedelta(
        hours=16
    )
    assert calendar.at(date(2026, 3, 27), time(9)) == datetime(2026, 3, 27, 9, tzinfo=UTC)
    assert calendar.at(date(2026, 3, 30), time(9)) == datetime(2026, 3, 30, 8, tzinfo=UTC)


def test_a_day_on_which_the_clocks_change_counts_its_real_length():
    always = parse_hours({d: [["00:00", "23:59"]] for d in ("sat", "sun", "mon")})
    calendar = BusinessCalendar(LONDON, date(2026, 3, 1), date(2026, 11, 30), hours=always)
    spring, autumn, ordinary = date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 30)
    length = {d: sum((b - a for a, b in calendar.periods(d)), timedelta(0)) for d in (spring, autumn, ordinary)}
    assert length == {
        spring: timedelta(hours=22, minutes=59),
        autumn: timedelta(hours=24, minutes=59),
        ordinary: timedelta(hours=23, minutes=59),
    }
    # a local time the clocks skip is taken with the offset before the change: an hour later on the clock
    assert calendar.at(spring, time(1, 30)).astimezone(LONDON).time() == time(2, 30)


def test_a_london_branch_across_the_autumn_dst_change():
    calendar = BusinessCalendar(LONDON, date(2026, 10, 1), date(2026, 11, 30))
    friday_evening = local(LONDON, 2026, 10, 23, 18)  # BST; clocks go back on Sunday 25 October
    assert calendar.next_at(friday_evening, time(9)) == datetime(2026, 10, 26, 9, tzinfo=UTC)  # 09:00 GMT
    assert calendar.at(date(2026, 10, 23), time(9)) == datetime(2026, 10, 23, 8, tzinfo=UTC)  # 09:00 BST


def test_a_hong_kong_branch_does_not_follow_the_mainland_holidays_it_was_not_given():
    calendar = BusinessCalendar(HONG_KONG, date(2026, 2, 1), date(2026, 2, 28))
    assert calendar.is_working_day(date(2026, 2, 16))
    assert not calendar.is_working_day(date(2026, 2, 14))  # a Saturday, no make-up day in Hong Kong
    assert calendar.at(date(2026, 2, 16), time(9)) == datetime(2026, 2, 16, 1, tzinfo=UTC)
    due = calendar.add_business_hours(datetime(2026, 2, 13, 8, tzinfo=UTC), timedelta(hours=2))  # Fri 16:00 HKT
    assert due == datetime(2026, 2, 16, 2, tzinfo=UTC)  # Mon 10:00 HKT


def test_nine_oclock_is_each_branchs_own_nine_oclock():
    instant = datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
    nine = {
        zone.key: BusinessCalendar(zone, date(2026, 3, 1), date(2026, 4, 30)).next_at(instant, time(9))
        for zone in (SHANGHAI, LONDON, NEW_YORK)
    }
    assert nine == {
        "Asia/Shanghai": datetime(2026, 3, 30, 1, tzinfo=UTC),
        "Europe/London": datetime(2026, 3, 30, 8, tzinfo=UTC),  # BST since Sunday
        "America/New_York": datetime(2026, 3, 30, 13, tzinfo=UTC),  # EDT since 8 March
    }


def test_nine_oclock_reminders_skip_the_holiday():
    calendar = mainland_2026()
    after = local(SHANGHAI, 2026, 2, 14, 10)  # the make-up Saturday, after 09:00
    assert calendar.next_at(after, time(9)) == local(SHANGHAI, 2026, 2, 24, 9).astimezone(UTC)
    assert calendar.next_at(after, time(9), working_only=False) == local(SHANGHAI, 2026, 2, 15, 9).astimezone(UTC)
    assert calendar.next_at(local(SHANGHAI, 2026, 2, 14, 9), time(9)) == local(SHANGHAI, 2026, 2, 14, 9).astimezone(UTC)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="aware"):
        mainland_2026().business_time_between(datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 10))
