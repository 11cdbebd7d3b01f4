"""The Chinese lunar calendar (农历) for birthdays: which lunar date a Gregorian day is, and which lunar
birthdays are celebrated on it.

The months come from ``lunar_python`` (6tail's lunar, MIT: new moons and solar terms computed by the 寿星
天文历 algorithms, correct far beyond 1900-2100), read once per lunar year into a small table; a day's
lunar date is then a lookup, not the library's full per-day conversion (which computes the day's 八字
and solar terms too, about 3 ms a day).

A lunar birthday is a month (1-12), a day (1-30) and whether the month is a leap month (闰月), without a
year. Where this year has no such day, the birthday is kept as Chinese families keep it:

- the 30th of a month that has only 29 days this year is celebrated on the 29th (the month's last day);
- a leap-month birthday in a year without that leap month is celebrated in the regular month of the
  same number (a year with the leap month celebrates it in the leap month only).

A regular-month birthday is always celebrated in the regular month, never again in a leap month.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from lunar_python import LunarYear  # type: ignore[import-untyped]

FIRST_YEAR, LAST_YEAR = 1900, 2100  # the years the house supports (the library reaches much further)
_UNIX_JULIAN_DAY = 2440588  # the Julian day number of 1970-01-01


@dataclass(frozen=True, order=True)
class LunarBirthday:
    """A lunar month and day, as a birthday (no year)."""

    month: int
    day: int
    leap: bool = False

    @property
    def key(self) -> int:
        """One number per birthday (month * 100 + day, 5000 more for a leap month), for matching in SQL."""
        return (5000 if self.leap else 0) + self.month * 100 + self.day

    @property
    def label_zh(self) -> str:
        """闰四月初八, 八月十五, 腊月三十."""
        return ("闰" if self.leap else "") + MONTH_NAMES[self.month - 1] + "月" + day_name(self.day)


@dataclass(frozen=True)
class LunarDay:
    """A Gregorian day in the lunar calendar: the lunar year it belongs to (the one that began at the last
    Spring Festival), its month, day, whether the month is a leap month, and the month's length."""

    year: int
    month: int
    day: int
    leap: bool
    month_days: int  # 29 or 30


@dataclass(frozen=True)
class _Month:
    first: date
    days: int
    month: int
    leap: bool


MONTH_NAMES = ("正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊")
_DIGITS = "一二三四五六七八九十"


def day_name(day: int) -> str:
    """初一 … 初十, 十一 … 二十, 廿一 … 廿九, 三十."""
    if day <= 10:
        return "初" + _DIGITS[day - 1]
    if day < 20:
        return "十" + _DIGITS[day - 11]
    if day == 20:
        return "二十"
    if day < 30:
        return "廿" + _DIGITS[day - 21]
    return "三十"


def _from_julian(julian_day: float) -> date:
    return date(1970, 1, 1) + timedelta(days=int(julian_day + 0.5) - _UNIX_JULIAN_DAY)


@functools.lru_cache(maxsize=256)
def _months(lunar_year: int) -> tuple[_Month, ...]:
    """The months of a lunar year, in order (a leap month after the regular month of its number)."""
    months = LunarYear(lunar_year).getMonthsInYear()
    return tuple(
        _Month(_from_julian(m.getFirstJulianDay()), int(m.getDayCount()), abs(int(m.getMonth())), bool(m.isLeap()))
        for m in months
    )


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"the lunar calendar is kept for {FIRST_YEAR}-{LAST_YEAR}, not {year}")


@functools.lru_cache(maxsize=4096)
def lunar_day(day: date) -> LunarDay:
    """The lunar date of a Gregorian day (1900-01-31 to the end of the lunar year 2100)."""
    _check_year(day.year if day.year <= LAST_YEAR else day.year - 1)
    for year in (day.year, day.year - 1):  # the lunar year begins between 21 January and 20 February
        if year < FIRST_YEAR:
            continue
        for month in _months(year):
            if month.first <= day < month.first + timedelta(days=month.days):
                return LunarDay(year, month.month, (day - month.first).days + 1, month.leap, month.days)
    raise ValueError(f"{day} is outside the lunar calendar kept here")


def leap_month_of(lunar_year: int) -> int | None:
    """The month number a lunar year repeats as a leap month (闰月), if any."""
    _check_year(lunar_year)
    return next((m.month for m in _months(lunar_year) if m.leap), None)


def month_length(lunar_year: int, month: int, leap: bool = False) -> int | None:
    """Days in a month of a lunar year (29 or 30); None when the year has no such (leap) month."""
    _check_year(lunar_year)
    return next((m.days for m in _months(lunar_year) if m.month == month and m.leap == leap), None)


def is_possible(lunar_year: int, birthday: LunarBirthday) -> bool:
    """Whether the lunar year had that day: its month (leap or not) and its 30th where the month has one."""
    days = month_length(lunar_year, birthday.month, birthday.leap)
    return days is not None and birthday.day <= days


@functools.lru_cache(maxsize=4096)
def celebrated_on(day: date) -> tuple[LunarBirthday, ...]:
    """The lunar birthdays celebrated on a Gregorian day, by the rules in this module's docstring."""
    found = lunar_day(day)
    days = [found.day, 30] if found.day == 29 == found.month_days else [found.day]
    leaps = [found.leap]
    if not found.leap and leap_month_of(found.year) != found.month:
        leaps.append(True)  # no leap month of this number this year: its birthdays fall in the regular one
    return tuple(LunarBirthday(found.month, d, leap) for leap in leaps for d in days)
