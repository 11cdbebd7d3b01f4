"""CSAT and NPS against hand-computed figures: a small fixed set of responses in a branch of its own,
grouped per staff member rated, per month and per branch, and each question's distribution."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from branchdesk.surveys import results
from branchdesk.surveys.models import SurveyResponse
from branchdesk.surveys.rules import ResultGrouping, csat, nps
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number
from tests.feedback.conftest import acting
from tests.surveys.conftest import define, respond

pytestmark = pytest.mark.external

WIDE = (date(2000, 1, 1), date(2100, 1, 1))


def test_the_formulas():
    # CSAT: satisfied (4-5) over scale answers; NPS: promoters (9-10) minus detractors (0-6), in percent
    assert csat(3, 4) == 75.0 and csat(0, 0) is None
    assert nps(2, 1, 4) == 25.0 and nps(0, 3, 3) == -100.0 and nps(0, 0, 0) is None


@pytest.fixture
async def scored(rt, world):
    """Six responses: Ann is rated 5/10, 4/9, 2/6; Bob 3/8, 5/3; one rates nobody, 4/10."""
    head = unique_employee_number("H")
    branch = await onboard(rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, head)
    ann, bob = await add_member(rt, branch, ["customer_manager"]), await add_member(rt, branch, ["customer_manager"])
    async with rt.db.session(None) as session:
        ann_id = (await tenants.staff_by_employee_number(session, ann)).id
        bob_id = (await tenants.staff_by_employee_number(session, bob)).id
    survey = await define(rt, branch, head)
    made = [
        await respond(rt, branch, head, survey.id, 5, 10, rated=ann_id, choices=[1, 2]),
        await respond(rt, branch, head, survey.id, 4, 9, rated=ann_id, choices=[2]),
        await respond(rt, branch, head, survey.id, 2, 6, rated=ann_id),
        await respond(rt, branch, head, survey.id, 3, 8, rated=bob_id, choices=[2, 3]),
        await respond(rt, branch, head, survey.id, 5, 3, rated=bob_id),
        await respond(rt, branch, head, survey.id, 4, 10),
    ]
    # the last two were answered last month
    async with rt.db.session(branch.id) as session:
        await session.execute(
            update(SurveyResponse)
            .where(SurveyResponse.tenant_id == branch.id, SurveyResponse.id.in_([m.id for m in made[4:]]))
            .values(responded_on=SurveyResponse.responded_on - timedelta(days=40))
        )
    return branch, head, survey, ann_id, bob_id, made


async def _results(rt, branch, head, survey, grouping, period=WIDE):
    async with acting(rt, branch, head) as (session, by):
        return await results.survey_results(session, by, survey.id, *period, grouping)


async def test_csat_and_nps_per_staff_member(rt, scored):
    branch, head, survey, ann_id, bob_id, _ = scored
    found = await _results(rt, branch, head, survey, ResultGrouping.STAFF)
    by_staff = {g.key: g for g in found.groups}
    # Ann: scale 5,4,2 → 2 of 3 satisfied = 66.7; NPS 10,9,6 → (2 - 1) / 3 = 33.3
    assert (by_staff[ann_id].csat, by_staff[ann_id].nps, by_staff[ann_id].responses) == (66.7, 33.3, 3)
    # Bob: scale 3,5 → 1 of 2 = 50.0; NPS 8,3 → (0 - 1) / 2 = -50.0
    assert (by_staff[bob_id].csat, by_staff[bob_id].nps) == (50.0, -50.0)
    # nobody rated: 4 → 100; 10 → 100
    assert (by_staff[None].csat, by_staff[None].nps) == (100.0, 100.0)
    # all six: scale 4 of 6 satisfied = 66.7; NPS promoters 10,9,10 = 3, detractors 6,3 = 2 → 16.7
    assert (found.total.responses, found.total.csat, found.total.nps) == (6, 66.7, 16.7)


async def test_per_month_and_per_branch(rt, scored):
    branch, head, survey, *_ = scored
    months = (await _results(rt, branch, head, survey, ResultGrouping.MONTH)).groups
    assert [g.responses for g in months] == [2, 4] and months[0].key < months[1].key
    # last month: 5/3 and 4/10 → CSAT 100, NPS (1 - 1) / 2 = 0
    assert (months[0].csat, months[0].nps) == (100.0, 0.0)
    # this month: 5/10, 4/9, 2/6, 3/8 → CSAT 2 of 4 = 50, NPS (2 - 1) / 4 = 25
    assert (months[1].csat, months[1].nps) == (50.0, 25.0)
    assert all(m.key.day == 1 for m in months)
    branches = (await _results(rt, branch, head, survey, ResultGrouping.BRANCH)).groups
    assert [(g.key, g.responses) for g in branches] == [(branch.id, 6)]


async def test_a_period_counts_only_its_days(rt, scored):
    branch, head, survey, *_ = scored
    today = date.today()
    found = await _results(
        rt, branch, head, survey, ResultGrouping.BRANCH, (today - timedelta(days=2), today + timedelta(days=2))
    )
    assert found.total.responses == 4


async def test_answer_distributions(rt, scored):
    branch, head, survey, *_ = scored
    found = await _results(rt, branch, head, survey, ResultGrouping.BRANCH)
    spread = {d.question.position: d.counts for d in found.distributions}
    assert spread[1] == [(2, 1), (3, 1), (4, 2), (5, 2)]
    assert spread[2] == [(3, 1), (6, 1), (8, 1), (9, 1), (10, 2)]
    # a multiple choice counts each option chosen: speed once, attitude three times, expertise once
    assert spread[3] == [(1, 1), (2, 3), (3, 1)]
    assert spread[4] == []
