"""The demo's surveys: a satisfaction and a needs-analysis survey per branch, answered by a fixed share of
its clients in a few set-based statements, the invitation its resolved complaint sent; recorded once."""

from __future__ import annotations

from datetime import date

import pytest

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.demo import seed_feedback
from branchdesk.platform.clock import utcnow
from branchdesk.surveys import demo, results
from branchdesk.surveys import service as surveys
from branchdesk.surveys.models import SurveyInvitation
from branchdesk.surveys.rules import ResultGrouping, SurveyPurpose
from branchdesk.tenants import repository as tenants
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external


async def test_demo_surveys_are_answered_set_based_and_recorded_once(rt, world, sql_counter):
    # given a branch with 15 clients and the demo's feedback (one complaint resolved)
    code = unique_code()
    branch = await onboard(rt, code, BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number("H"))
    manager = await add_member(rt, branch, ["customer_manager"])
    system = Principal.system("tests", BranchRef(branch.id, code))
    async with rt.db.session(branch.id) as session:
        owner = (await tenants.staff_by_employee_number(session, manager)).id
        for n in range(1, 16):
            draft = crm.ClientDraft(client_number=f"{code}{n:06d}", name=f"客户{n}", owner_id=owner)
            await records.create_client(session, system, draft)
        await seed_feedback(session, system, code, owner, utcnow())
    # when the demo seeds surveys twice
    async with rt.db.session(branch.id) as session:
        sql_counter.count = 0
        with sql_counter:
            first = await demo.seed(session, system, utcnow())
        statements = sql_counter.count
        assert await demo.seed(session, system, utcnow()) == 0
    # then every 5th client answered the needs analysis and every 3rd the satisfaction survey: 3 + 5
    assert first == 8
    # in a number of statements that does not grow with the clients
    assert statements < 30
    async with rt.db.session(branch.id) as session:
        listed = await surveys.list_surveys(session, system, surveys.PageRequest(first=10), surveys.SurveyFilters())
        satisfaction = next(s for _, s in listed.items if s.purpose == SurveyPurpose.SATISFACTION)
        scored = await results.survey_results(
            session, system, satisfaction.id, date(2000, 1, 1), date(2100, 1, 1), ResultGrouping.STAFF
        )
        invitations = list(await session.scalars(SurveyInvitation.__table__.select()))
    assert len(listed.items) == 2
    assert [(g.key, g.responses) for g in scored.groups] == [(owner, 5)]
    assert scored.total.csat is not None and scored.total.nps is not None
    assert len(invitations) == 1
