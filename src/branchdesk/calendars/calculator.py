"""Business-calendar arithmetic for one branch: pure, no SQL, fed a calendar that is already loaded.

Load one with ``calendars.service.branch_calendar`` (two statements) and ask it, in the branch's time
zone: is a day a working day, the next or previous one, N business days or hours later, how much
business time lies between two instants, and the instant a local time (09:00) occurs on a day.

The rules, in the order they are applied to a day:

1. a branch closure (the branch's own closed days) — closed;
2. a head-office holiday for the branch's region (or for all) — closed;
3. a make-up working day (调休上班) — working, with **Monday's** opening hours (the first of Monday to
   Friday that has any), whatever weekday it falls on: it stands in for a normal weekday;
4. otherwise the branch's ``business_hours`` for that weekday: a day with opening periods is a
   working day. A branch with no hours configured opens Monday to Friday, 09:00 to 17:00.

Instants go in as aware datetimes in any zone and come out in UTC (show them with
``.astimezone(calendar.zone)``). Durations are measured in UTC, so a day on which the clocks change
counts its real length. A local time that does not exist (in a spring-forward gap) is taken with the
offset before the change, i.e. that much later on the clock; an ambiguous one is its first occurrence.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from branchdesk.calendars import errors
from branchdesk.platform.errors import DomainError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Period = tuple[time, time]
DEFAULT_HOURS: dict[int, tuple[Period, ...]] = {day: ((time(9), time(17)),) for day in range(5)}


class DayKind(enum.StrEnum):
    WORKING = "working"  # a normal working day
    MAKE_UP = "make_up"  # a make-up working day (调休上班)
    REST = "rest"  # a weekday on which the branch has no opening hours (usually the weekend)
    HOLIDAY = "holiday"  # a head-office holiday
    CLOSED = "closed"  # a closure of the branch's own


WORKING_KINDS = frozenset({DayKind.WORKING, DayKind.MAKE_UP})


@dataclass(frozen=True)
class Closure:
    """Days a branch is closed, both ends included."""

    starts_on: date
    ends_on: date
    reason: str


@dataclass(frozen=True)
class Day:
    """What a date is for the branch, and why; ``name`` is the holiday's or closure's (en, zh)."""

    date: date
    kind: DayKind
    periods: tuple[Period, ...]
    name: tuple[str, str] | None = None

    @property
    def working(self) -> bool:
        return self.kind in WORKING_KINDS


def parse_hours(hours: Mapping[str, Iterable[Iterable[str]]] | None) -> dict[int, tuple[Period, ...]]:
    """``Branch.business_hours`` (``{"mon": [["09:00", "17:00"]], ...}``) as periods per weekday (0 = Monday);
    the default week when none are configured."""
    parsed = {
        WEEKDAYS.index(day): tuple(
            sorted((time.fromisoformat(opens), time.fromisoformat(closes)) for opens, closes in periods)
        )
        for day, periods in (hours or {}).items()
        if day in WEEKDAYS and periods
    }
    return parsed or dict(DEFAULT_HOURS)


class BusinessCalendar:
    """One branch's calendar for the dates ``first`` to ``last`` (both included). Asking about a date
    outside them is a ``CALENDAR_DATE_RANGE`` error, never a silent guess."""

    def __init__(
        self,
        zone: ZoneInfo,
        first: date,
        last: date,
        *,
        hours: Mapping[int, tuple[Period, ...]] | None = None,
        holidays: Mapping[date, tuple[str, str]] | None = None,
        make_up_days: Mapping[date, tuple[str, str]] | None = None,
        closures: Iterable[Closure] = (),
    ) -> None:
        if last < first:
            raise ValueError("a calendar's last day comes before its first")
        self.zone = zone
        self.first = first
        self.last = last
        self.hours = dict(hours) if hours is not None else dict(DEFAULT_HOURS)
        self.holidays = dict(holidays or {})
        self.make_up_days = dict(make_up_days or {})
        self.closures = tuple(sorted(closures, key=lambda c: c.starts_on))
        self._closed: dict[date, Closure] = {}
        for closure in self.closures:
            day = max(closure.starts_on, first)
            while day <= min(closure.ends_on, last):
                self._closed.setdefault(day, closure)
                day += timedelta(days=1)
        self._make_up_hours = next((self.hours[d] for d in range(5) if self.hours.get(d)), DEFAULT_HOURS[0])

    # --- days ------------------------------------------------------------------------------------

    def _check(self, day: date, field: str | None) -> None:
        if not self.first <= day <= self.last:
            raise DomainError(
                errors.DATE_RANGE,
                field=field,
                date=day.isoformat(),
                first=self.first.isoformat(),
                last=self.last.isoformat(),
            )

    def day(self, day: date, *, field: str | None = "date") -> Day:
        self._check(day, field)
        closure = self._closed.get(day)
        if closure is not None:
            return Day(day, DayKind.CLOSED, (), (closure.reason, closure.reason))
        if day in self.holidays:
            return Day(day, DayKind.HOLIDAY, (), self.holidays[day])
        if day in self.make_up_days:
            return Day(day, DayKind.MAKE_UP, self._make_up_hours, self.make_up_days[day])
        periods = self.hours.get(day.weekday(), ())
        return Day(day, DayKind.WORKING if periods else DayKind.REST, periods)

    def days(self, first: date, last: date) -> list[Day]:
        self._check(first, "from")
        self._check(last, "to")
        return [self.day(first + timedelta(days=n)) for n in range((last - first).days + 1)]

    def is_working_day(self, day: date) -> bool:
        return self.day(day).working

    def working_days(self, first: date, last: date) -> list[date]:
        return [d.date for d in self.days(first, last) if d.working]

    def _step(self, day: date, step: int, field: str | None) -> date:
        self._check(day, field)
        while True:
            day += timedelta(days=step)
            if self.day(day, field=field).working:
                return day

    def next_working_day(self, day: date, *, field: str | None = "date") -> date:
        """The first working day after ``day``."""
        return self._step(day, 1, field)

    def previous_working_day(self, day: date, *, field: str | None = "date") -> date:
        """The last working day before ``day``."""
        return self._step(day, -1, field)

    def on_or_after(self, day: date, *, field: str | None = "date") -> date:
        """``day`` if it is a working day, else the next one: where a due date on a day off moves."""
        return day if self.day(day, field=field).working else self.next_working_day(day, field=field)

    def on_or_before(self, day: date, *, field: str | None = "date") -> date:
        """``day`` if it is a working day, else the previous one (for plans that move due dates earlier)."""
        return day if self.day(day, field=field).working else self.previous_working_day(day, field=field)

    def add_business_days(self, day: date, count: int, *, field: str | None = "date") -> date:
        """The working day ``count`` working days after ``day`` (before it when negative); with 0,
        :meth:`on_or_after`. ``day`` itself need not be a working day: 1 business day after a Saturday
        is the first working day after that Saturday."""
        if count == 0:
            return self.on_or_after(day, field=field)
        step = 1 if count > 0 else -1
        for _ in range(abs(count)):
            day = self._step(day, step, field)
        return day

    # --- instants --------------------------------------------------------------------------------

    def at(self, day: date, local: time) -> datetime:
        """The instant (UTC) at which the branch's clocks show ``local`` on ``day``."""
        self._check(day, "date")
        return datetime.combine(day, local, tzinfo=self.zone).astimezone(UTC)

    def local_date(self, instant: datetime) -> date:
        return _aware(instant).astimezone(self.zone).date()

    def next_at(self, after: datetime, local: time, *, working_only: bool = True) -> datetime:
        """The first instant at or after ``after`` at which it is ``local`` o'clock in the branch on a
        working day (any day with ``working_only=False``): "the branch's own 09:00" for reminders."""
        day = self.local_date(after)
        while True:
            self._check(day, "after")
            if not working_only or self.day(day).working:
                instant = self.at(day, local)
                if instant >= after:
                    return instant
            day += timedelta(days=1)

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening periods as UTC instants (none on a day off)."""
        return [(self.at(day, opens), self.at(day, closes)) for opens, closes in self.day(day).periods]

    def _periods_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        while True:
            self._check(day, "start")
            yield from self.periods(day)
            day += timedelta(days=1)

    def add_business_hours(self, start: datetime, amount: timedelta) -> datetime:
        """The instant (UTC) at which ``amount`` of business time has passed since ``start``. Time is
        counted only inside opening periods; a deadline that ends exactly at closing time is that
        closing time. With 0, the first instant in business hours at or after ``start``."""
        if amount < timedelta(0):
            raise ValueError("add a positive amount of business time")
        start = _aware(start)
        left = amount
        for opens, closes in self._periods_from(self.local_date(start)):
            if closes <= start:
                continue
            begin = max(opens, start)
            if left <= closes - begin:
                return begin + left
            left -= closes - begin
        raise AssertionError("unreachable: the walk ends at the calendar's last day")

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (negative when ``end`` comes first): for an SLA, the
        time the clock ran between received and now."""
        start, end = _aware(start), _aware(end)
        if end < start:
            return -self.business_time_between(end, start)
        total = timedelta(0)
        day, last = self.local_date(start), self.local_date(end)
        self._check(day, "start")
        self._check(last, "end")
        while day <= last:
            for opens, closes in self.periods(day):
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("business-calendar instants must be aware datetimes")
    return instant.astimezone(UTC)
