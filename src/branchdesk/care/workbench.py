"""The workbench: "my day", the branch head's completion rates, the morning round (covers, reminders,
escalations) and the signed calendar feed.

The morning round runs once per branch and working day at the branch's own 09:00 (``jobs``): it moves
an absent colleague's open follow-ups to their cover, tells each assignee what is due today, and tells
the branch head of each follow-up overdue by the branch's escalation delay in business days. Each
notification has a dedupe key, so a run delivered twice tells nobody twice.
"""

from __future__ import annotations

import base64
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.availability import service as availability
from branchdesk.calendars import service as calendars
from branchdesk.care import errors, kinds, repository
from branchdesk.care.follow_ups import ClientCard
from branchdesk.care.permissions import FOLLOW_UP_MANAGE, FOLLOW_UP_WORK
from branchdesk.care.service import settings
from branchdesk.crm.rules import mask_name
from branchdesk.notifications import service as notifications
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.crypto import DataKeyRing, data_keys
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.tenants import service as tenants

UPCOMING_DAYS = 7
MY_DAY_LIMIT = 50  # of each of overdue, today and upcoming
MAX_REPORT_DAYS = 366
FEED_DAYS_BACK, FEED_DAYS_AHEAD = 14, 60
FEED_LINK_DAYS = 90
MORNING = time(9)


@dataclass(frozen=True)
class MyDay:
    """Follow-ups as plain rows (``repository.MY_DAY_COLUMNS``), and the card of each one's client."""

    today: date
    overdue: list[Row[Any]] = field(default_factory=list)
    due_today: list[Row[Any]] = field(default_factory=list)
    upcoming: list[Row[Any]] = field(default_factory=list)
    cards: dict[uuid.UUID, ClientCard] = field(default_factory=dict)


@dataclass(frozen=True)
class CompletionRow:
    key: uuid.UUID
    due: int
    done: int
    on_time: int
    overdue: int

    @property
    def rate(self) -> float:
        return self.done / self.due if self.due else 0.0


@dataclass(frozen=True)
class Completion:
    first: date
    last: date
    by_staff: list[CompletionRow]
    by_plan: list[CompletionRow]


@dataclass(frozen=True)
class Morning:
    working_day: bool
    handed_over: int = 0
    reminded: int = 0
    escalated: int = 0


async def my_day(session: AsyncSession, by: Principal) -> MyDay:
    """The caller's open follow-ups: overdue, due today, and the next week's, each by priority then due
    date (at most 50 of each), with their clients' cards. Two statements: the branch's today, then the
    follow-ups with their clients. Every one is the caller's, so each card is one ``cards_of`` gives them."""
    by.require(FOLLOW_UP_WORK)
    if by.staff_id is None:
        raise NotFound("Staff member", "员工", field=None)
    _, today = await calendars.branch_today(session, by)
    rows = await repository.my_day(
        session, by.branch_id, by.staff_id, today, today + timedelta(days=UPCOMING_DAYS), MY_DAY_LIMIT
    )
    return MyDay(
        today,
        [r for r in rows if r.due_on < today],
        [r for r in rows if r.due_on == today],
        [r for r in rows if r.due_on > today],
        {
            r.client_id: ClientCard(r.client_id, r.client_number, mask_name(r.client_name), r.preferred_language)
            for r in rows
        },
    )


async def completion(session: AsyncSession, by: Principal, first: date, last: date) -> Completion:
    """Per staff member and per plan, of the follow-ups due from ``first`` to ``last``: how many were due
    (cancelled ones left out), done, done by their due day, and still open past it."""
    by.require(FOLLOW_UP_MANAGE)
    if not timedelta(0) <= last - first <= timedelta(days=MAX_REPORT_DAYS):
        raise DomainError(errors.DATE_RANGE, field="last", days=MAX_REPORT_DAYS)
    branch, today = await calendars.branch_today(session, by)

    def rows(found: list[object]) -> list[CompletionRow]:
        return [CompletionRow(r.key, r.due, r.done, r.on_time, r.overdue) for r in found]  # type: ignore[attr-defined]

    zone = branch.timezone
    return Completion(
        first,
        last,
        rows(await repository.completion(session, by.branch_id, zone, first, last, today, by_plan=False)),
        rows(await repository.completion(session, by.branch_id, zone, first, last, today, by_plan=True)),
    )


async def hand_over_to_covers(session: AsyncSession, by: Principal, day: date, at: datetime) -> int:
    """Move the open follow-ups due up to ``day`` of everyone away at ``at`` to their named cover (one
    who may be a member of another branch through a cover membership); each cover is told once a day."""
    assignees = await repository.open_assignees(session, by.branch_id, day)
    if not assignees:
        return 0
    away = await availability.stand_ins(session, by.branch_id, assignees, at)
    covers = {absent: cover for absent, cover in away.items() if cover is not None}
    moved = await repository.hand_over(session, by.branch_id, covers, day, at)
    for cover in sorted({row.assignee_id for row in moved}):
        mine = [row for row in moved if row.assignee_id == cover]
        await notifications.notify(
            session,
            by.branch_id,
            [cover],
            kind=kinds.HANDED_OVER,
            key=f"care.cover:{day.isoformat()}",
            title=f"{len(mine)} follow-up(s) handed over: a colleague is away / 同事离岗，转交 {len(mine)} 条跟进",
            subject=("follow_up", mine[0].id),
        )
    if moved:
        details = {"day": day.isoformat(), "moved": len(moved), "covers": {str(a): str(c) for a, c in covers.items()}}
        await audit.record(session, by.branch_id, by.author, "care.handed_over", "follow_up", None, details)
    return len(moved)


async def release_leaver(session: AsyncSession, by: Principal, staff_id: uuid.UUID) -> int:
    """A member who left the bank (``staffing.deactivate``): every open follow-up of theirs goes to the
    branch head (one statement, remembering whose it was), who is told once; how many moved."""
    heads = sorted(h for h in await tenants.holders_of(session, by.branch_id, "branch_head") if h != staff_id)
    if not heads:
        return 0
    moved = await repository.hand_over(session, by.branch_id, {staff_id: heads[0]}, date.max, utcnow())
    if moved:
        await notifications.notify(
            session,
            by.branch_id,
            [heads[0]],
            kind=kinds.HANDED_OVER,
            key=f"care.leaver:{staff_id}",
            title=f"{len(moved)} follow-up(s) of a colleague who left / 离职同事的 {len(moved)} 条客户跟进",
            subject=("follow_up", moved[0].id),
        )
        details = {"staff_id": str(staff_id), "to": str(heads[0]), "moved": len(moved)}
        await audit.record(session, by.branch_id, by.author, "care.leaver_handed_over", "follow_up", None, details)
    return len(moved)


async def morning(session: AsyncSession, by: Principal, day: date) -> Morning:
    """The branch's morning round for ``day`` (a working day; nothing on a day off)."""
    calendar = await calendars.branch_calendar(session, by, day - timedelta(days=90), day + timedelta(days=1))
    if not calendar.is_working_day(day):
        return Morning(False)
    at = max(calendar.at(day, MORNING), utcnow()) if day >= calendar.local_date(utcnow()) else calendar.at(day, MORNING)
    handed = await hand_over_to_covers(session, by, day, at)
    reminded = 0
    for assignee, n, _top in await repository.due_by_assignee(session, by.branch_id, day):
        reminded += len(
            await notifications.notify(
                session,
                by.branch_id,
                [assignee],
                kind=kinds.DUE_TODAY,
                key=f"care.due:{day.isoformat()}",
                title=f"{n} follow-up(s) due today / 今日待跟进 {n} 条",
                body=day.isoformat(),
            )
        )
    delay = (await settings(session, by)).escalate_after_days
    cutoff = calendar.add_business_days(day, -delay)
    overdue = await repository.mark_escalated(session, by.branch_id, cutoff, utcnow())
    heads = await tenants.holders_of(session, by.branch_id, "branch_head")
    for follow_up_id, _assignee, title, due_on in overdue:
        await notifications.notify(
            session,
            by.branch_id,
            heads,
            kind=kinds.OVERDUE,
            key=f"care.overdue:{follow_up_id}",
            title=f"Overdue since {due_on.isoformat()} / 逾期跟进：{title}"[:200],
            subject=("follow_up", follow_up_id),
        )
    return Morning(True, handed, reminded, len(overdue))


# --- the calendar feed ---------------------------------------------------------------------------


def _signature(ring: DataKeyRing, branch_id: uuid.UUID, staff_id: uuid.UUID, expires: int) -> str:
    digest = ring.digest("care.feed", f"{branch_id}:{staff_id}:{expires}")
    assert digest is not None
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class FeedLink:
    path: str
    expires_at: datetime


async def feed_link(session: AsyncSession, by: Principal) -> FeedLink:
    """A link to the caller's follow-ups as an iCalendar feed, signed with the platform's keyed hash and
    valid for 90 days: whoever holds it reads that feed, nothing else."""
    by.require(FOLLOW_UP_WORK)
    if by.staff_id is None:
        raise NotFound("Staff member", "员工", field=None)
    expires_at = (utcnow() + timedelta(days=FEED_LINK_DAYS)).replace(microsecond=0)
    expires = int(expires_at.timestamp())
    signature = _signature(data_keys(session), by.branch_id, by.staff_id, expires)
    path = f"/care/feeds/{by.branch_id}/{by.staff_id}.ics?expires={expires}&signature={signature}"
    return FeedLink(path, expires_at)


def check_feed_link(ring: DataKeyRing, branch_id: uuid.UUID, staff_id: uuid.UUID, expires: int, signature: str) -> None:
    """The feed link's signature and expiry, checked before anything is read (constant-time compare)."""
    expected = _signature(ring, branch_id, staff_id, expires)
    if not hmac.compare_digest(expected, signature) or expires < utcnow().timestamp():
        raise DomainError(errors.FEED_LINK, field="signature")


@dataclass(frozen=True)
class FeedEntry:
    id: uuid.UUID
    title: str
    client_number: str
    starts_at: datetime
    ends_at: datetime
    priority: int
    channel: str


async def feed(session: AsyncSession, by: Principal, staff_id: uuid.UUID) -> list[FeedEntry]:
    """A staff member's open follow-ups from two weeks back to two months ahead, each in its contact
    window on its due day (the link was checked by the caller: ``by`` is the system in the branch)."""
    if await tenants.membership(session, by.branch_id, staff_id) is None:
        return []  # a member who left the branch: the link shows nothing
    _, today = await calendars.branch_today(session, by)
    first, last = today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)
    calendar = await calendars.branch_calendar(session, by, first, last)
    return [
        FeedEntry(
            item.id,
            item.title,
            number,
            calendar.at(item.due_on, item.contact_from),
            calendar.at(item.due_on, item.contact_until),
            item.priority,
            item.channel,
        )
        for item, number in await repository.feed(session, by.branch_id, staff_id, first, last)
    ]
