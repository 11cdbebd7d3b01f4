"""SLA deadlines in the branch's business hours (the business calendar, with the seeded 2026 holidays):
computed once at receipt and stored, so a breach is found by a query."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from branchdesk.calendars import service as calendars
from branchdesk.feedback import service as feedback
from branchdesk.feedback.models import ComplaintSla
from branchdesk.feedback.rules import Severity
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput
from tests.feedback.conftest import acting, draft, submit

pytestmark = pytest.mark.external

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


async def _deadlines(rt, branch, received: datetime, hours: int, days: int) -> feedback.Deadlines:
    async with acting(rt, branch) as (session, system):
        calendar = await calendars.branch_calendar(session, system, date(2026, 1, 1), date(2026, 12, 31))
    sla = ComplaintSla(category_code="*", severity="high", acknowledge_hours=hours, resolve_days=days)
    return feedback.deadlines(calendar, received, sla)


async def test_deadlines_skip_a_weekend_and_a_holiday(rt, crm_branch):
    # given a complaint on Friday 3 April 2026 at 16:00, before the weekend and Qingming (Mon 6 April)
    due = await _deadlines(rt, crm_branch.branch, local(2026, 4, 3, 16), hours=4, days=2)
    # then one business hour is left on Friday and three more run on Tuesday morning
    assert due.acknowledge_due_at == local(2026, 4, 7, 12)
    # and two business days later is Wednesday 8 April, at closing time
    assert due.resolve_due_at == local(2026, 4, 8, 17)


async def test_deadlines_skip_national_day_and_count_its_make_up_saturday(rt, crm_branch):
    # given a complaint on Wednesday 30 September at 15:00, the eve of the National Day holiday (1-7 October)
    due = await _deadlines(rt, crm_branch.branch, local(2026, 9, 30, 15), hours=4, days=3)
    assert due.acknowledge_due_at == local(2026, 10, 8, 11)
    # Thursday 8, Friday 9 and Saturday 10 October (a make-up working day, 调休上班)
    assert due.resolve_due_at == local(2026, 10, 10, 17)


async def test_a_complaint_received_on_a_day_off_counts_from_the_next_opening(rt, crm_branch):
    due = await _deadlines(rt, crm_branch.branch, local(2026, 4, 4, 10), hours=2, days=1)
    assert due.acknowledge_due_at == local(2026, 4, 7, 11)
    assert due.resolve_due_at == local(2026, 4, 7, 17)


def _last_friday(weeks_back: int = 1) -> date:
    today = datetime.now(SHANGHAI).date()
    return today - timedelta(days=(today.weekday() - 4) % 7 + 7 * weeks_back)


async def test_submitting_stores_the_deadlines_of_the_category_and_severity(rt, crm_branch):
    # given a complaint recorded late: received last week's Friday at 16:00 (no holiday in the weeks around)
    friday = _last_friday()
    received = datetime.combine(friday, datetime.min.time(), SHANGHAI).replace(hour=16)
    complaint = await submit(rt, crm_branch.branch, crm_branch.teller, severity=Severity.HIGH, received_at=received)
    # then the default high-severity SLA (4 business hours, 5 business days) ran from then
    monday = friday + timedelta(days=3)
    assert complaint.acknowledge_due_at == datetime.combine(monday, datetime.min.time(), SHANGHAI).replace(hour=12)
    assert complaint.resolve_due_at == datetime.combine(
        friday + timedelta(days=7), datetime.min.time(), SHANGHAI
    ).replace(hour=17)
    # and a category with a rule of its own answers faster (product sales, critical: 1 hour, 1 day)
    urgent = await submit(
        rt,
        crm_branch.branch,
        crm_branch.teller,
        category="product_sales",
        severity=Severity.CRITICAL,
        received_at=received,
    )
    assert urgent.acknowledge_due_at == received + timedelta(hours=1)  # Friday's last business hour
    assert urgent.resolve_due_at == datetime.combine(monday, datetime.min.time(), SHANGHAI).replace(hour=17)


async def test_a_breach_is_found_by_a_query(rt, crm_branch):
    # given a complaint received three weeks ago that nobody acknowledged, and a new one
    late = await submit(rt, crm_branch.branch, crm_branch.lobby, received_at=utcnow() - timedelta(days=21))
    fresh = await submit(rt, crm_branch.branch, crm_branch.lobby)
    async with acting(rt, crm_branch.branch, crm_branch.head) as (session, by):
        page = await feedback.list_feedback(
            session, by, feedback.PageRequest(first=100), feedback.FeedbackFilters(breached=True)
        )
        on_time = await feedback.list_feedback(
            session, by, feedback.PageRequest(first=100), feedback.FeedbackFilters(breached=False)
        )
    breached = {item.id for _, item in page.items}
    assert late.id in breached and fresh.id not in breached
    assert fresh.id in {item.id for _, item in on_time.items}
    assert feedback.is_breached(late, utcnow()) and not feedback.is_breached(fresh, utcnow())


async def test_bad_input_is_refused_naming_the_field(rt, crm_branch):
    async with acting(rt, crm_branch.branch, crm_branch.teller) as (session, by):
        bad = draft(category="no_such_thing", received_at=utcnow() + timedelta(days=1), summary="  ")
        with pytest.raises(InvalidInput) as refused:
            await feedback.submit_feedback(session, by, bad)
    assert {(e.code, e.field) for e in refused.value.errors} == {
        ("FEEDBACK_SUMMARY_LENGTH", "summary"),
        ("FEEDBACK_UNKNOWN_CATEGORY", "category"),
        ("FEEDBACK_RECEIVED_AT", "receivedAt"),
    }


async def test_head_office_sets_the_sla_table(rt, world):
    async with acting(rt, world.head_office, world.ho_admin) as (session, by):
        rule = await feedback.set_sla(session, by, "facilities", Severity.LOW, 24, 20)
        assert (rule.category_code, rule.acknowledge_hours, rule.resolve_days) == ("facilities", 24, 20)
        with pytest.raises(DomainError) as refused:
            await feedback.set_sla(session, by, "facilities", Severity.LOW, 0, 20)
    assert (refused.value.code, refused.value.field) == ("COMPLAINT_SLA_VALUE", "acknowledgeHours")
