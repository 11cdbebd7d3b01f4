"""The lunar calendar: known festivals land on their lunar dates, and a birthday a year lacks is kept
on the day Chinese families keep it (the 29th for a 30th, the regular month for a leap month)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from lunar_python import Solar

from branchdesk.platform import lunar
from branchdesk.platform.lunar import LunarBirthday


@pytest.mark.parametrize(
    ("day", "month", "lunar_day", "leap"),
    [
        (date(2026, 2, 17), 1, 1, False),  # Spring Festival 2026
        (date(2025, 1, 29), 1, 1, False),  # Spring Festival 2025
        (date(2026, 9, 25), 8, 15, False),  # Mid-Autumn 2026
        (date(2025, 10, 6), 8, 15, False),  # Mid-Autumn 2025
        (date(2026, 6, 19), 5, 5, False),  # Dragon Boat 2026
        (date(2025, 7, 25), 6, 1, True),  # the first day of 2025's leap sixth month
        (date(2026, 2, 16), 12, 29, False),  # New Year's Eve 2026: the twelfth month has 29 days
        (date(1900, 1, 31), 1, 1, False),
    ],
)
def test_known_days_have_their_lunar_dates(day, month, lunar_day, leap):
    found = lunar.lunar_day(day)
    assert (found.month, found.day, found.leap) == (month, lunar_day, leap)


def test_the_table_agrees_with_the_librarys_own_conversion():
    days = [date(1900, 2, 1) + timedelta(days=n) for n in range(0, 73_000, 97)]
    for day in days:
        theirs = Solar.fromYmd(day.year, day.month, day.day).getLunar()
        ours = lunar.lunar_day(day)
        assert (ours.year, -ours.month if ours.leap else ours.month, ours.day) == (
            theirs.getYear(),
            theirs.getMonth(),
            theirs.getDay(),
        ), day


def test_a_30th_is_kept_on_the_29th_of_a_29_day_month():
    # 2026's second lunar month has 29 days: its 29th (16 April) also keeps the 30th's birthdays
    assert lunar.month_length(2026, 2) == 29
    assert LunarBirthday(2, 30) in lunar.celebrated_on(date(2026, 4, 16))
    assert LunarBirthday(3, 1) in lunar.celebrated_on(date(2026, 4, 17))
    # a 30-day month keeps the 30th on the 30th only
    assert lunar.month_length(2026, 1) == 30
    assert LunarBirthday(1, 30) not in lunar.celebrated_on(date(2026, 3, 17))
    assert LunarBirthday(1, 30) in lunar.celebrated_on(date(2026, 3, 18))


def test_a_leap_month_birthday_falls_in_the_leap_month_or_else_the_regular_one():
    assert lunar.leap_month_of(2025) == 6 and lunar.leap_month_of(2026) is None
    born_in_leap = LunarBirthday(6, 10, leap=True)
    # 2025 has a leap sixth month: the leap birthday is in it, the regular one in the regular month only
    assert lunar.celebrated_on(date(2025, 8, 3)) == (born_in_leap,)
    assert lunar.celebrated_on(date(2025, 7, 4)) == (LunarBirthday(6, 10),)
    # 2026 has none: the leap birthday falls on the regular sixth month's tenth
    assert set(lunar.celebrated_on(date(2026, 7, 23))) == {LunarBirthday(6, 10), born_in_leap}


def test_every_lunar_birthday_is_celebrated_exactly_once_a_lunar_year():
    counted: dict[LunarBirthday, int] = {}
    day = date(2025, 1, 29)  # lunar 2025 begins
    while day < date(2026, 2, 17):  # lunar 2026 begins
        for birthday in lunar.celebrated_on(day):
            counted[birthday] = counted.get(birthday, 0) + 1
        day += timedelta(days=1)
    everyone = {LunarBirthday(m, d, leap) for m in range(1, 13) for d in range(1, 31) for leap in (False, True)}
    assert set(counted) == everyone
    assert set(counted.values()) == {1}


def test_labels_read_as_chinese_calendars_write_them():
    assert LunarBirthday(4, 8, leap=True).label_zh == "闰四月初八"
    assert LunarBirthday(8, 15).label_zh == "八月十五"
    assert LunarBirthday(1, 1).label_zh == "正月初一"
    assert LunarBirthday(12, 30).label_zh == "腊月三十"
    assert LunarBirthday(11, 20).label_zh == "冬月二十"
    assert LunarBirthday(3, 21).label_zh == "三月廿一"
