"""The triggers that read the scoring and holdings domains: entering a segment, a product maturing, and a
fixed rhythm per value tier (私人银行 monthly, 白金 quarterly)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from branchdesk.care import rules
from branchdesk.care import service as care
from branchdesk.holdings.models import Holding, Product
from branchdesk.platform.errors import InvalidInput
from branchdesk.platform.ids import new_id
from branchdesk.segments.models import ClientScore, Segment, SegmentMember
from tests.care.conftest import acting, define, draft, follow_ups, make_client, plan

pytestmark = pytest.mark.external
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _segment(rt, branch) -> Segment:
    segment = Segment(
        tenant_id=branch.id,
        id=new_id(),
        name=f"生日本周 {secrets.token_hex(3)}",
        rule={"tier": {"atLeast": "platinum"}},
        updated_at=datetime.now(SHANGHAI),
    )
    async with rt.db.session(branch.id) as session:
        session.add(segment)
    return segment


async def test_entering_a_segment_makes_a_follow_up_the_next_day_for_those_still_in_it(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    segment = await _segment(rt, branch)
    stays, went = await make_client(rt, branch, cm1), await make_client(rt, branch, cm1)
    entered = datetime.combine(date(2026, 5, 11), time(2), SHANGHAI)  # a Monday night's scoring run
    async with rt.db.session(branch.id) as session:
        session.add(
            SegmentMember(tenant_id=branch.id, id=new_id(), segment_id=segment.id, client_id=stays, entered_at=entered)
        )
        session.add(
            SegmentMember(
                tenant_id=branch.id,
                id=new_id(),
                segment_id=segment.id,
                client_id=went,
                entered_at=entered,
                left_at=entered + timedelta(hours=1),
            )
        )
    entry = await define(
        rt, branch, date(2026, 1, 1), trigger=rules.Trigger.SEGMENT_ENTRY, segment_id=segment.id, offsets=[1]
    )
    await plan(rt, branch, date(2026, 5, 12))
    assert [(f.client_id, f.due_on) for f in await follow_ups(rt, branch, entry.id)] == [(stays, date(2026, 5, 12))]


async def test_a_maturing_deposit_is_followed_up_a_week_before(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    code = f"TD{secrets.token_hex(4).upper()}"
    async with rt.db.session(None) as session:
        session.add(
            Product(
                code=code, name_zh="三年定期", name_en="3-year time deposit", category="time_deposit", risk_grade="R1"
            )
        )
    client = await make_client(rt, branch, cm1)
    matures = date(2026, 7, 15)  # a Wednesday
    async with rt.db.session(branch.id) as session:
        for n in range(2):  # two deposits maturing the same day: one follow-up
            session.add(
                Holding(
                    tenant_id=branch.id,
                    id=new_id(),
                    reference=f"R{secrets.token_hex(6)}",
                    client_id=client,
                    product_code=code,
                    balance=Decimal(100000 + n),
                    currency="CNY",
                    matures_on=matures,
                    status="active",
                    moved_at=datetime.now(SHANGHAI),
                    updated_at=datetime.now(SHANGHAI),
                )
            )
    maturity = await define(rt, branch, date(2026, 1, 1), trigger=rules.Trigger.MATURITY, offsets=[-7])
    await plan(rt, branch, date(2026, 7, 6))
    assert [(f.client_id, f.due_on) for f in await follow_ups(rt, branch, maturity.id)] == [(client, date(2026, 7, 8))]


async def test_private_banking_clients_are_called_monthly_and_platinum_quarterly(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    private, platinum = await make_client(rt, branch, cm1), await make_client(rt, branch, cm1)
    async with rt.db.session(branch.id) as session:
        for client, tier in ((private, "private_banking"), (platinum, "platinum")):
            session.add(
                ClientScore(
                    tenant_id=branch.id,
                    id=client,
                    tier=tier,
                    recency=3,
                    frequency=3,
                    monetary=5,
                    lifecycle="active",
                    interactions_12m=4,
                    aum_cny=Decimal(7_000_000),
                    scored_at=datetime.now(SHANGHAI),
                )
            )
    monthly = await define(
        rt,
        branch,
        date(2026, 1, 1),
        trigger=rules.Trigger.TIER_RHYTHM,
        tier="private_banking",
        every_months=1,
        offsets=[2],
    )
    quarterly = await define(
        rt, branch, date(2026, 1, 1), trigger=rules.Trigger.TIER_RHYTHM, tier="platinum", every_months=3, offsets=[2]
    )
    # planning around the start of May (not a quarter) and of July (a quarter)
    await plan(rt, branch, date(2026, 5, 1))
    await plan(rt, branch, date(2026, 7, 1))
    # 3 May (Labour Day holiday: 1-5 May) moves to the 6th; 3 July is a Friday
    assert [(f.client_id, f.due_on) for f in await follow_ups(rt, branch, monthly.id)] == [
        (private, date(2026, 5, 6)),
        (private, date(2026, 7, 3)),
    ]
    assert [(f.client_id, f.due_on) for f in await follow_ups(rt, branch, quarterly.id)] == [
        (platinum, date(2026, 7, 3))
    ]


async def test_a_rhythm_needs_a_known_tier_and_period(rt, care_branch):
    async with acting(rt, care_branch.branch) as (session, by):
        with pytest.raises(InvalidInput) as refused:
            await care.define_plan(
                session, by, draft(trigger=rules.Trigger.TIER_RHYTHM, tier="diamond", every_months=2)
            )
    assert [(e.code, e.field) for e in refused.value.errors] == [("CARE_PLAN_RHYTHM", "tier")]
