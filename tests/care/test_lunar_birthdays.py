"""Birthday plans on the lunar birthday (农历生日): the follow-up falls on the Gregorian day the lunar
birthday falls on this year (the 29th for a 30th the month lacks, the regular month for a leap month the
year lacks), once however often the planner runs; a client without a lunar birthday is skipped with the
reason; a solar plan is unchanged; the plan is defined and shown through the API."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from branchdesk.care import rules
from branchdesk.care.models import CarePlan, CareSkip
from tests.care.conftest import define, follow_ups, make_client, plan

pytestmark = pytest.mark.external

LUNAR = rules.BirthdayCalendar.LUNAR


def lunar_birthday(month: int, day: int, leap: bool = False) -> dict[str, object]:
    return {"lunar_birth_month": month, "lunar_birth_day": day, "lunar_birth_leap": leap}


async def _skips(rt, branch, plan_id):
    async with rt.db.session(branch.id) as session:
        rows = await session.scalars(
            select(CareSkip).where(CareSkip.tenant_id == branch.id, CareSkip.plan_id == plan_id)
        )
        return {(s.client_id, s.occurrence, s.reason) for s in rows}


async def test_a_lunar_birthday_plan_greets_on_the_day_the_lunar_birthday_falls_this_year(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    # given a client born on 二月初二 (solar birthday in July), and a solar and a lunar birthday plan
    client = await make_client(rt, branch, cm1, birthday=date(1980, 7, 1), **lunar_birthday(2, 2))
    solar = await define(rt, branch, date(2026, 1, 1), trigger=rules.Trigger.BIRTHDAY, offsets=[0])
    lunar = await define(
        rt, branch, date(2026, 1, 1), trigger=rules.Trigger.BIRTHDAY, offsets=[0], birthday_calendar=LUNAR
    )
    # when the planner runs on 20 March 2026 (二月初二, a Friday and a working day)
    [first, second] = await plan(rt, branch, date(2026, 3, 20))
    # then the lunar plan greets the client that day; the solar plan waits for July
    made = await follow_ups(rt, branch, lunar.id)
    assert [(f.client_id, f.occurrence, f.due_on) for f in made] == [(client, date(2026, 3, 20), date(2026, 3, 20))]
    assert await follow_ups(rt, branch, solar.id) == []
    # and running again (the next day too: the window overlaps) makes nothing more
    await plan(rt, branch, date(2026, 3, 20))
    await plan(rt, branch, date(2026, 3, 21))
    assert [f.id for f in await follow_ups(rt, branch, lunar.id)] == [made[0].id]
    assert {r.created for r in (first, second)} == {0, 1}


async def test_a_30th_is_greeted_on_the_29th_of_a_month_that_has_no_30th(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    # given a client born on 二月三十; 2026's second lunar month has 29 days (二月廿九 is 16 April)
    client = await make_client(rt, branch, cm1, birthday=date(1972, 4, 13), **lunar_birthday(2, 30))
    lunar = await define(
        rt, branch, date(2026, 1, 1), trigger=rules.Trigger.BIRTHDAY, offsets=[0], birthday_calendar=LUNAR
    )
    # when the planner runs over April
    await plan(rt, branch, date(2026, 4, 14))
    await plan(rt, branch, date(2026, 4, 21))
    # then the client is greeted once, on the 29th
    assert [(f.client_id, f.occurrence) for f in await follow_ups(rt, branch, lunar.id)] == [
        (client, date(2026, 4, 16))
    ]


async def test_a_leap_month_birthday_falls_in_the_leap_month_or_else_in_the_regular_month(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    # given clients born on 闰六月初十 and 六月初十, and a lunar plan greeting a day ahead
    leap = await make_client(rt, branch, cm1, **lunar_birthday(6, 10, leap=True))
    regular = await make_client(rt, branch, cm1, **lunar_birthday(6, 10))
    lunar = await define(
        rt, branch, date(2025, 1, 1), trigger=rules.Trigger.BIRTHDAY, offsets=[-1], birthday_calendar=LUNAR
    )
    # when the planner runs through the summers of 2025 (with a leap sixth month) and 2026 (without)
    for day in (date(2025, 7, 1), date(2025, 7, 8), date(2025, 7, 31), date(2025, 8, 7)):
        await plan(rt, branch, day)
    for day in (date(2026, 7, 17), date(2026, 7, 24)):
        await plan(rt, branch, day)
    # then in 2025 the regular birthday is on 4 July, the leap one on 3 August; in 2026 both on 23 July
    made = {(f.client_id, f.occurrence) for f in await follow_ups(rt, branch, lunar.id)}
    assert made == {
        (regular, date(2025, 7, 3)),
        (leap, date(2025, 8, 2)),
        (regular, date(2026, 7, 22)),
        (leap, date(2026, 7, 22)),
    }


async def test_a_client_without_a_lunar_birthday_is_skipped_with_the_reason(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    # given a client with only a solar birthday, one with neither, and a lunar birthday plan
    solar_only = await make_client(rt, branch, cm1, birthday=date(1985, 3, 24))
    await make_client(rt, branch, cm1)
    lunar = await define(
        rt, branch, date(2026, 1, 1), trigger=rules.Trigger.BIRTHDAY, offsets=[0], birthday_calendar=LUNAR
    )
    # when the planner runs over the solar birthday
    [result] = await plan(rt, branch, date(2026, 3, 23))
    # then nothing is made, and the run records why on the solar birthday (the client with neither: nothing)
    assert await follow_ups(rt, branch, lunar.id) == []
    assert await _skips(rt, branch, lunar.id) == {(solar_only, date(2026, 3, 24), "no_lunar_birthday")}
    assert result.skipped["no_lunar_birthday"] == 1 and result.created == 0


async def test_the_lunar_birthday_is_checked_before_consent(rt, care_branch):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    # given a client who refused phone calls and one who asked not to be contacted, both born on 二月初二
    refused = await make_client(rt, branch, cm1, consents=["email"], **lunar_birthday(2, 2))
    alone = await make_client(rt, branch, cm1, consents=[], do_not_contact=True, **lunar_birthday(2, 2))
    lunar = await define(
        rt, branch, date(2026, 1, 1), trigger=rules.Trigger.BIRTHDAY, offsets=[0], birthday_calendar=LUNAR
    )
    await plan(rt, branch, date(2026, 3, 20))
    assert await _skips(rt, branch, lunar.id) == {
        (refused, date(2026, 3, 20), "no_consent"),
        (alone, date(2026, 3, 20), "do_not_contact"),
    }


async def test_a_lunar_plan_is_defined_and_shown_through_the_api_and_only_for_birthdays(rt, api, care_branch):
    token = await api.token(care_branch.head)
    define_plan = """mutation($i: CarePlanInput!) {
      defineCarePlan(input: $i) { plan { id name birthdayCalendar } errors { code field } } }"""
    base = {"channel": "PHONE", "title": "农历生日祝福", "trigger": "BIRTHDAY"}
    made = await api.post(
        define_plan,
        {"i": {**base, "name": "农历生日", "birthdayCalendar": "LUNAR"}},
        token=token,
        branch=care_branch.branch.code,
    )
    assert made["data"]["defineCarePlan"]["errors"] == []
    assert made["data"]["defineCarePlan"]["plan"]["birthdayCalendar"] == "LUNAR"
    refused = await api.post(
        define_plan,
        {"i": {**base, "name": "坏计划", "trigger": "KYC_EXPIRY", "birthdayCalendar": "LUNAR"}},
        token=token,
        branch=care_branch.branch.code,
    )
    payload = refused["data"]["defineCarePlan"]
    assert payload["plan"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CARE_PLAN_CALENDAR", "birthdayCalendar")]
    async with rt.db.session(care_branch.branch.id) as session:
        assert await session.scalar(select(func.count()).select_from(CarePlan)) == 1


async def test_planning_a_lunar_plan_costs_the_same_statements_for_2_clients_or_20(rt, care_branch, sql_counter):
    branch, cm1 = care_branch.branch, care_branch.ids[care_branch.cm1]
    # given 2 clients born on 二月初二 (20 March 2026) and 20 born on 三月初一 (17 April 2026)
    for _ in range(2):
        await make_client(rt, branch, cm1, **lunar_birthday(2, 2))
    for _ in range(20):
        await make_client(rt, branch, cm1, **lunar_birthday(3, 1))
    await define(rt, branch, date(2026, 1, 1), trigger=rules.Trigger.BIRTHDAY, offsets=[0], birthday_calendar=LUNAR)
    counts = []
    for day, clients in ((date(2026, 3, 20), 2), (date(2026, 4, 17), 20)):
        # when the planner runs on each day
        sql_counter.count = 0
        with sql_counter:
            [result] = await plan(rt, branch, day)
        # then it greets them all, with the same statements: the plan's one statement, none per client
        assert result.created == clients
        counts.append(sql_counter.count)
    assert counts == [9, 9]
