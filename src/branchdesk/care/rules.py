"""The vocabulary of care plans and follow-ups, and the pure date rules of the planner.

A plan's trigger gives each client an *anchor* date (a birthday, the day they became a client, the day of
an interaction…); each of the plan's offsets from it is an *occurrence* (the key of one follow-up), and the
occurrence moved onto a working day of the branch's calendar is the follow-up's due date. The planner asks
:func:`occurrences` for the (anchor, occurrence, due date) rows whose due date falls in a window and hands
them to one SQL statement that joins them to the clients: the calendar is applied per day, never per client.
"""

from __future__ import annotations

import calendar as gregorian
import enum
from dataclasses import dataclass
from datetime import date, time, timedelta

from branchdesk.calendars.calculator import BusinessCalendar
from branchdesk.platform import lunar


class Trigger(enum.StrEnum):
    BIRTHDAY = "birthday"
    ONBOARDING = "onboarding"
    AFTER_INTERACTION = "after_interaction"
    AFTER_COMPLAINT = "after_complaint"
    DORMANCY = "dormancy"
    KYC_EXPIRY = "kyc_expiry"
    RISK_EXPIRY = "risk_expiry"
    SEGMENT_ENTRY = "segment_entry"
    MATURITY = "maturity"
    TIER_RHYTHM = "tier_rhythm"


class BirthdayCalendar(enum.StrEnum):
    """Which birthday a birthday plan greets: the solar one (公历) or the lunar one (农历, from the client's
    profile; a client without one is skipped with :attr:`SkipReason.NO_LUNAR_BIRTHDAY` on their solar
    birthday, so the branch sees whose lunar birthday is missing)."""

    SOLAR = "solar"
    LUNAR = "lunar"


class Channel(enum.StrEnum):
    """How the client is contacted: the values of the client's consents (``crm.rules.ContactChannel``)."""

    PHONE = "phone"
    SMS = "sms"
    WECHAT = "wechat"
    EMAIL = "email"
    VISIT = "visit"


class Priority(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


RANK = {Priority.URGENT: 1, Priority.HIGH: 2, Priority.NORMAL: 3, Priority.LOW: 4}
PRIORITY_OF_RANK = {rank: priority for priority, rank in RANK.items()}


class Assignee(enum.StrEnum):
    OWNER = "owner"  # the client's customer manager
    ROLE = "role"  # a holder of a named role of the branch (the lobby manager, say)


class Shift(enum.StrEnum):
    """Where a due date on a day the branch does not work moves."""

    NEXT = "next"
    PREVIOUS = "previous"


class PlanState(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class FollowUpState(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Outcome(enum.StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    DECLINED = "declined"
    RESCHEDULED = "rescheduled"


class SkipReason(enum.StrEnum):
    """Why the planner did not create a follow-up it otherwise would have."""

    DO_NOT_CONTACT = "do_not_contact"
    NO_CONSENT = "no_consent"
    QUIET_HOURS = "quiet_hours"
    WEEKLY_CAP = "weekly_cap"
    NO_LUNAR_BIRTHDAY = "no_lunar_birthday"


# Interactions logged for a completed follow-up, by the plan's channel.
INTERACTION_OF_CHANNEL = {
    Channel.PHONE: ("call", "phone"),
    Channel.SMS: ("message", "sms"),
    Channel.WECHAT: ("message", "wechat"),
    Channel.EMAIL: ("message", "email"),
    Channel.VISIT: ("visit", "on_site"),
}

RISK_ASSESSMENT_VALID_DAYS = 365  # a suitability assessment is redone yearly
# Default offsets (days from the anchor) per trigger when a plan gives none.
DEFAULT_OFFSETS = {
    Trigger.BIRTHDAY: [0],
    Trigger.ONBOARDING: [1, 7, 30],
    Trigger.AFTER_INTERACTION: [3],
    Trigger.AFTER_COMPLAINT: [3],
    Trigger.DORMANCY: [90],
    Trigger.KYC_EXPIRY: [-30],
    Trigger.RISK_EXPIRY: [-30],
    Trigger.SEGMENT_ENTRY: [1],
    Trigger.MATURITY: [-7],
    Trigger.TIER_RHYTHM: [0],
}
RHYTHM_MONTHS = (1, 3, 6, 12)  # monthly (私人银行), quarterly (白金), half-yearly, yearly
# Offsets counted in business days (a callback "in N business days", 回访); the rest in calendar days.
BUSINESS_DAY_TRIGGERS = frozenset({Trigger.AFTER_INTERACTION, Trigger.AFTER_COMPLAINT})
MAX_OFFSET = 400


@dataclass(frozen=True)
class Occurrence:
    anchor: date  # the trigger's date for a client (for a birthday: this year's birthday)
    occurrence: date  # the anchor moved by one offset: the key of one follow-up
    due_on: date  # the occurrence on a working day
    month_day: int | None  # anchor's month * 100 + day (solar birthdays match on it)
    lunar_key: int | None = None  # a lunar birthday celebrated on the anchor (lunar.LunarBirthday.key)


def month_day(day: date) -> int:
    return day.month * 100 + day.day


def due_on(calendar: BusinessCalendar, occurrence: date, shift: Shift) -> date:
    return calendar.on_or_after(occurrence) if shift is Shift.NEXT else calendar.on_or_before(occurrence)


def occurrence_of(calendar: BusinessCalendar, anchor: date, offset: int, business_days: bool) -> date:
    return calendar.add_business_days(anchor, offset) if business_days and offset else anchor + timedelta(offset)


def anchor_span(offsets: list[int], business_days: bool, first: date, last: date) -> tuple[date, date]:
    """Anchor dates whose occurrences can fall due in ``first``…``last`` (with room for a shift to a working
    day and, for business days, the longest holidays)."""
    pad = 20 if not business_days else 20 + max(abs(o) for o in offsets)
    return first - timedelta(days=max(offsets) + pad), last - timedelta(days=min(offsets)) + timedelta(days=pad)


def calendar_span(offsets: list[int], business_days: bool, first: date, last: date) -> tuple[date, date]:
    """The dates a calendar must cover to place every occurrence due in ``first``…``last``."""
    low, high = anchor_span(offsets, business_days, first, last)
    return min(low, first) - timedelta(days=40), max(high, last) + timedelta(days=40 + max(map(abs, offsets)))


def starts_a_period(day: date, every_months: int | None) -> bool:
    """A fixed rhythm's anchors: the first day of each period of ``every_months`` months (from January)."""
    return every_months is not None and day.day == 1 and (day.month - 1) % every_months == 0


def occurrences(
    calendar: BusinessCalendar,
    trigger: Trigger,
    offsets: list[int],
    shift: Shift,
    first: date,
    last: date,
    every_months: int | None = None,
    birthday_calendar: BirthdayCalendar = BirthdayCalendar.SOLAR,
) -> list[Occurrence]:
    """Every (anchor, occurrence, due date) whose due date falls in ``first``…``last``, by due date (for a
    fixed rhythm, only anchors that start one of its periods). For a lunar birthday plan each anchor comes
    once per lunar birthday celebrated on it and once per solar month-day (the clients without a lunar
    birthday, skipped on their solar one)."""
    lunar_plan = trigger is Trigger.BIRTHDAY and birthday_calendar is BirthdayCalendar.LUNAR
    business = trigger in BUSINESS_DAY_TRIGGERS
    low, high = anchor_span(offsets, business, first, last)
    found: dict[tuple[date, date, int], Occurrence] = {}
    day = low
    while day <= high:
        if trigger is Trigger.TIER_RHYTHM and not starts_a_period(day, every_months):
            day += timedelta(days=1)
            continue
        for offset in offsets:
            occurrence = occurrence_of(calendar, day, offset, business)
            due = due_on(calendar, occurrence, shift)
            if first <= due <= last:
                for md in _month_days(day, trigger):
                    found[(day, occurrence, md)] = Occurrence(day, occurrence, due, md)
                for birthday in lunar.celebrated_on(day) if lunar_plan else ():
                    key = -birthday.key  # apart from the month-days
                    found[(day, occurrence, key)] = Occurrence(day, occurrence, due, None, birthday.key)
        day += timedelta(days=1)
    return sorted(found.values(), key=lambda o: (o.due_on, o.occurrence, o.anchor, o.month_day or 0, o.lunar_key or 0))


def _month_days(day: date, trigger: Trigger) -> list[int]:
    """A birthday anchor matches its month and day; a 29 February birthday is kept on the 28th in a
    year without one."""
    if trigger is Trigger.BIRTHDAY and day.month == 2 and day.day == 28 and not gregorian.isleap(day.year):
        return [228, 229]
    return [month_day(day)]


@dataclass(frozen=True)
class Window:
    """When in the day a client may be contacted (branch-local times)."""

    start: time
    end: time


def contact_window(plan_from: time, plan_until: time, quiet_start: time, quiet_end: time) -> Window | None:
    """The plan's contact hours less the branch's quiet hours (which may run over midnight, 21:00-08:00);
    None when nothing is left: the follow-up would have to be made in quiet hours."""
    if quiet_start == quiet_end:
        return Window(plan_from, plan_until)
    if quiet_start > quiet_end:  # over midnight: allowed is quiet_end..quiet_start
        start, end = max(plan_from, quiet_end), min(plan_until, quiet_start)
        return Window(start, end) if start < end else None
    # quiet inside the day (12:00-13:30, say): keep the longer part outside it
    before = Window(plan_from, min(plan_until, quiet_start))
    after = Window(max(plan_from, quiet_end), plan_until)
    parts = [w for w in (before, after) if w.start < w.end]
    if not parts:
        return None
    return max(parts, key=lambda w: (w.end.hour * 60 + w.end.minute) - (w.start.hour * 60 + w.start.minute))


LABELS: dict[type[enum.Enum], dict[str, tuple[str, str]]] = {
    Trigger: {
        "birthday": ("Birthday", "生日祝福"),
        "onboarding": ("Onboarding sequence", "新客户跟进"),
        "after_interaction": ("Callback after an interaction", "接触后回访"),
        "after_complaint": ("Callback after a resolved complaint", "投诉解决后回访"),
        "dormancy": ("No contact for a while", "沉睡客户唤醒"),
        "kyc_expiry": ("KYC expiry", "身份信息到期提醒"),
        "risk_expiry": ("Risk assessment expiry", "风险测评到期提醒"),
        "segment_entry": ("Entering a segment", "进入客户细分"),
        "maturity": ("Product maturity", "产品到期提醒"),
        "tier_rhythm": ("A fixed rhythm for a value tier", "按客户等级定期回访"),
    },
    Channel: {
        "phone": ("Phone", "电话"),
        "sms": ("SMS", "短信"),
        "wechat": ("WeChat", "微信"),
        "email": ("E-mail", "电子邮件"),
        "visit": ("Visit", "上门拜访"),
    },
    Priority: {
        "urgent": ("Urgent", "紧急"),
        "high": ("High", "高"),
        "normal": ("Normal", "普通"),
        "low": ("Low", "低"),
    },
    Assignee: {
        "owner": ("The client's owner", "客户的客户经理"),
        "role": ("A holder of a named role", "指定岗位人员"),
    },
    Shift: {
        "next": ("Next working day", "顺延至下一工作日"),
        "previous": ("Previous working day", "提前至上一工作日"),
    },
    PlanState: {"active": ("Active", "启用"), "paused": ("Paused", "暂停")},
    FollowUpState: {"open": ("Open", "待跟进"), "done": ("Done", "已完成"), "cancelled": ("Cancelled", "已取消")},
    Outcome: {
        "reached": ("Reached", "已联系上"),
        "not_reached": ("Not reached", "未联系上"),
        "declined": ("Declined", "客户拒绝"),
        "rescheduled": ("Rescheduled", "已改期"),
    },
    SkipReason: {
        "do_not_contact": ("The client asked not to be contacted", "客户要求勿扰"),
        "no_consent": ("No consent for the channel", "客户未授权该渠道"),
        "quiet_hours": ("Only possible in quiet hours", "仅能在免打扰时段联系"),
        "weekly_cap": ("Weekly contact cap reached", "已达每周联系上限"),
        "no_lunar_birthday": ("No lunar birthday on the client's profile", "客户资料未登记农历生日"),
    },
    BirthdayCalendar: {
        "solar": ("Solar birthday (Gregorian calendar)", "公历生日"),
        "lunar": ("Lunar birthday (Chinese calendar)", "农历生日"),
    },
}
