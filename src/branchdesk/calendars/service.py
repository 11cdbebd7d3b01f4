"""The business calendar: head office publishes holidays and make-up working days per region, a branch
adds closures of its own, and :func:`branch_calendar` hands any domain the calculator for a branch.

Holidays are platform-wide rows (like branches) and are audited in the head office's trail; closures
belong to their branch and are audited in its trail. Which head-office entries apply to a branch is
decided by its region, taken from its time zone (:func:`region_of`) until branches carry one.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import across
from branchdesk.calendars import errors, repository
from branchdesk.calendars.calculator import BusinessCalendar, Closure, parse_hours
from branchdesk.calendars.models import ALL_REGIONS, BranchClosure, CalendarDay, CalendarDayKind
from branchdesk.calendars.permissions import BRANCH_CALENDAR_MANAGE, CALENDAR_MANAGE, CALENDAR_READ
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import Branch

FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_RANGE_DAYS = 366
MAX_CLOSURE_DAYS = 366
# How far ahead nextWorkingDay looks: past the longest closure plus a holiday.
LOOKAHEAD = timedelta(days=MAX_CLOSURE_DAYS + 31)
_REGION = re.compile(r"^(ALL|[A-Z]{2}(-[A-Z0-9]{1,3})?)$")
# The head-office calendar a branch follows, by its time zone (branches carry no region of their own yet).
REGION_BY_ZONE = {
    "Asia/Shanghai": "CN",
    "Asia/Chongqing": "CN",
    "Asia/Chungking": "CN",
    "Asia/Harbin": "CN",
    "Asia/Urumqi": "CN",
    "Asia/Kashgar": "CN",
    "PRC": "CN",
    "Asia/Hong_Kong": "HK",
    "Hongkong": "HK",
    "Asia/Macau": "MO",
    "Asia/Macao": "MO",
    "Asia/Taipei": "TW",
    "Asia/Singapore": "SG",
    "Europe/London": "GB",
}


def region_of(timezone: str) -> str | None:
    return REGION_BY_ZONE.get(timezone)


def _regions(timezone: str) -> list[str]:
    region = region_of(timezone)
    return [ALL_REGIONS, region] if region else [ALL_REGIONS]


def _check_day(day: date, field: str) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DomainError(
            errors.DATE_RANGE,
            field=field,
            date=day.isoformat(),
            first=f"{FIRST_YEAR}-01-01",
            last=f"{LAST_YEAR}-12-31",
        )


# --- the calculator for a branch -----------------------------------------------------------------


def build_calendar(branch: Branch, first: date, last: date, rows: Sequence[Any]) -> BusinessCalendar:
    """The calculator from a branch and the rows of ``repository.entries_for_branch``: an entry for the
    branch's own region overrides one for all regions on the same day."""
    holidays: dict[date, tuple[str, str]] = {}
    make_up: dict[date, tuple[str, str]] = {}
    closures: list[Closure] = []
    for kind, _region, starts_on, ends_on, name_en, name_zh in sorted(rows, key=lambda r: r[1] != ALL_REGIONS):
        if kind == repository.CLOSED:
            closures.append(Closure(starts_on, ends_on, name_en))
            continue
        holidays.pop(starts_on, None)
        make_up.pop(starts_on, None)
        target = holidays if CalendarDayKind(kind) is CalendarDayKind.HOLIDAY else make_up
        target[starts_on] = (name_en, name_zh)
    return BusinessCalendar(
        zoneinfo.ZoneInfo(branch.timezone),
        first,
        last,
        hours=parse_hours(branch.business_hours),
        holidays=holidays,
        make_up_days=make_up,
        closures=closures,
    )


async def branch_calendar(
    session: AsyncSession, by: Principal, first: date, last: date, branch_id: uuid.UUID | None = None
) -> BusinessCalendar:
    """The calculator for the branch ``by`` acts in (or ``branch_id``, bound in this session) over the
    dates ``first`` to ``last``: two statements. It is a building block for deadlines, reminders and
    SLAs, so it asks for no permission of its own: the caller's operation has been authorised already.
    Load a little more than you need (a deadline N days out may cross a holiday): asking outside the
    range raises ``CALENDAR_DATE_RANGE``."""
    branch = await tenants.branch_by_id(session, branch_id or by.branch_id)
    rows = await repository.entries_for_branch(session, branch.id, _regions(branch.timezone), first, last)
    return build_calendar(branch, first, last, rows)


async def branch_today(session: AsyncSession, by: Principal) -> tuple[Branch, date]:
    branch = await tenants.branch_by_id(session, by.branch_id)
    return branch, utcnow().astimezone(zoneinfo.ZoneInfo(branch.timezone)).date()


async def working_days(session: AsyncSession, by: Principal, first: date, last: date) -> list[date]:
    by.require(CALENDAR_READ)
    _check_day(first, "from")
    _check_day(last, "to")
    if not timedelta(0) <= last - first < timedelta(days=MAX_RANGE_DAYS):
        raise DomainError(errors.RANGE_TOO_LONG, field="to", limit=MAX_RANGE_DAYS)
    return (await branch_calendar(session, by, first, last)).working_days(first, last)


async def next_working_day(session: AsyncSession, by: Principal, day: date, include_day: bool = False) -> date:
    """The next working day of the branch after ``day`` (or ``day`` itself when it is one and
    ``include_day``)."""
    by.require(CALENDAR_READ)
    _check_day(day, "date")
    calendar = await branch_calendar(session, by, day, min(day + LOOKAHEAD, date(LAST_YEAR, 12, 31)))
    return calendar.on_or_after(day) if include_day else calendar.next_working_day(day)


# --- the head-office calendar --------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayEntry:
    """One entry as head office writes it (a form, a CSV line)."""

    day: date
    kind: CalendarDayKind
    name_zh: str
    name_en: str
    region: str = "CN"


@dataclass(frozen=True)
class Loaded:
    created: int
    updated: int
    unchanged: int


def entry_problems(entry: HolidayEntry, prefix: str = "") -> list[DomainError]:
    problems: list[DomainError] = []
    try:
        _check_day(entry.day, f"{prefix}date")
    except DomainError as exc:
        problems.append(exc)
    if not _REGION.match(entry.region):
        problems.append(DomainError(errors.REGION, field=f"{prefix}region", region=entry.region[:20]))
    for name, value in (("nameZh", entry.name_zh), ("nameEn", entry.name_en)):
        if not 1 <= len(value.strip()) <= 100:
            problems.append(DomainError(errors.HOLIDAY_NAME, field=f"{prefix}{name}"))
    return problems


def _clean(entry: HolidayEntry) -> HolidayEntry:
    return HolidayEntry(entry.day, entry.kind, entry.name_zh.strip(), entry.name_en.strip(), entry.region)


async def holidays(session: AsyncSession, by: Principal, year: int, region: str | None = None) -> list[CalendarDay]:
    """Head-office entries of a year, by date; of one region (and ALL) when ``region`` is given."""
    by.require(CALENDAR_READ)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(errors.DATE_RANGE, field="year", date=str(year), first=str(FIRST_YEAR), last=str(LAST_YEAR))
    if region is not None and not _REGION.match(region):
        raise DomainError(errors.REGION, field="region", region=region[:20])
    regions = None if region is None else sorted({ALL_REGIONS, region})
    return await repository.calendar_days(session, date(year, 1, 1), date(year, 12, 31), regions)


async def _record_in_head_office(session: AsyncSession, by: Principal, action: str, details: dict[str, Any]) -> None:
    """Head-office calendar changes go to the head office's trail (the CLI acts in no branch)."""
    if by.branch is not None and by.in_head_office:
        await audit.record(session, by.branch_id, by.author, action, "calendar", None, details)
        return
    office = await tenants.head_office(session)
    if office is not None:
        async with across(session, by, office.id):
            await audit.record(session, office.id, by.author, action, "calendar", None, details)


def _shown(entry: HolidayEntry | CalendarDay) -> dict[str, str]:
    return {"kind": entry.kind.value, "name_zh": entry.name_zh, "name_en": entry.name_en}


async def load_holidays(session: AsyncSession, by: Principal, entries: Sequence[HolidayEntry]) -> Loaded:
    """Create or replace entries by (region, date): all or nothing, and loading the same entries again
    changes nothing (and records nothing)."""
    by.require(CALENDAR_MANAGE)
    problems = [
        p for n, e in enumerate(entries) for p in entry_problems(e, f"entries.{n}." if len(entries) > 1 else "")
    ]
    if problems:
        raise InvalidInput(problems)
    wanted = {(e.region, e.day): _clean(e) for e in entries}
    existing = {(d.region, d.day): d for d in await repository.calendar_days_at(session, list(wanted))}
    changed = {key: e for key, e in wanted.items() if key not in existing or _shown(existing[key]) != _shown(e)}
    if changed:
        await repository.upsert_calendar_days(
            session,
            [{"region": r, "day": d, **_shown(e)} for (r, d), e in sorted(changed.items())],
        )
        await _record_in_head_office(
            session,
            by,
            "calendar.days_set",
            {
                "days": [
                    {
                        "region": r,
                        "date": d.isoformat(),
                        **_shown(e),
                        "before": _shown(existing[r, d]) if (r, d) in existing else None,
                    }
                    for (r, d), e in sorted(changed.items())
                ]
            },
        )
    created = sum(1 for key in changed if key not in existing)
    return Loaded(created=created, updated=len(changed) - created, unchanged=len(wanted) - len(changed))


async def set_holiday(session: AsyncSession, by: Principal, entry: HolidayEntry) -> CalendarDay:
    """Create or replace one head-office entry."""
    await load_holidays(session, by, [entry])
    found = await repository.calendar_day(session, entry.region, entry.day)
    assert found is not None
    await session.refresh(found)
    return found


async def remove_holiday(session: AsyncSession, by: Principal, day: date, region: str) -> CalendarDay:
    """Remove one head-office entry (the day becomes an ordinary day); returns what was removed."""
    by.require(CALENDAR_MANAGE)
    if not _REGION.match(region):
        raise DomainError(errors.REGION, field="region", region=region[:20])
    found = await repository.calendar_day(session, region, day, for_update=True)
    if found is None:
        raise NotFound("Calendar entry", "节假日安排", field="date")
    await repository.delete_calendar_day(session, found)
    await _record_in_head_office(
        session, by, "calendar.day_removed", {"region": region, "date": day.isoformat(), **_shown(found)}
    )
    return found


# --- branch closures -----------------------------------------------------------------------------


async def closures(
    session: AsyncSession, by: Principal, first: date | None = None, last: date | None = None
) -> list[BranchClosure]:
    """The branch's closures meeting the dates (all of them without dates), by start date."""
    by.require(CALENDAR_READ)
    return await repository.closures(session, by.branch_id, first, last)


async def closures_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[BranchClosure]:
    """For ``node``/loaders: the branch's own closures among ``ids``; nothing without the permission."""
    if not by.can(CALENDAR_READ):
        return []
    return await repository.closures_by_id(session, by.branch_id, ids)


async def add_closure(
    session: AsyncSession, by: Principal, starts_on: date, ends_on: date, reason: str
) -> BranchClosure:
    """Close the branch from ``starts_on`` to ``ends_on`` (both included, local dates, from tomorrow on)."""
    by.require(BRANCH_CALENDAR_MANAGE)
    reason = reason.strip()
    problems: list[DomainError] = []
    for field, day in (("startsOn", starts_on), ("endsOn", ends_on)):
        try:
            _check_day(day, field)
        except DomainError as exc:
            problems.append(exc)
    if not problems and not timedelta(0) <= ends_on - starts_on < timedelta(days=MAX_CLOSURE_DAYS):
        problems.append(DomainError(errors.CLOSURE_ORDER, field="endsOn", limit=MAX_CLOSURE_DAYS))
    if not 1 <= len(reason) <= 200:
        problems.append(DomainError(errors.CLOSURE_REASON, field="reason"))
    if problems:
        raise InvalidInput(problems)
    _, today = await branch_today(session, by)
    if starts_on <= today:
        raise DomainError(
            errors.CLOSURE_IN_PAST, field="startsOn", starts_on=starts_on.isoformat(), today=today.isoformat()
        )
    await repository.lock_closures(session, by.branch_id)
    clash = await repository.overlapping_closure(session, by.branch_id, starts_on, ends_on)
    if clash is not None:
        raise DomainError(
            errors.CLOSURE_OVERLAP,
            field="startsOn",
            starts_on=clash.starts_on.isoformat(),
            ends_on=clash.ends_on.isoformat(),
            reason=clash.reason,
        )
    closure = BranchClosure(
        tenant_id=by.branch_id, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=by.staff_id
    )
    session.add(closure)
    await session.flush()
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "calendar.closure_added",
        "branch_closure",
        closure.id,
        {"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "reason": reason},
    )
    return closure


async def remove_closure(session: AsyncSession, by: Principal, closure_id: uuid.UUID) -> BranchClosure:
    """Withdraw a closure that has not begun; one that has begun is history."""
    by.require(BRANCH_CALENDAR_MANAGE)
    closure = await repository.closure(session, by.branch_id, closure_id, for_update=True)
    if closure is None:
        raise NotFound("Branch closure", "停业安排", field="id")
    _, today = await branch_today(session, by)
    if closure.starts_on <= today:
        raise DomainError(
            errors.CLOSURE_IN_PAST, field="id", starts_on=closure.starts_on.isoformat(), today=today.isoformat()
        )
    await repository.delete_closure(session, closure)
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "calendar.closure_removed",
        "branch_closure",
        closure.id,
        {"starts_on": closure.starts_on.isoformat(), "ends_on": closure.ends_on.isoformat(), "reason": closure.reason},
    )
    return closure
