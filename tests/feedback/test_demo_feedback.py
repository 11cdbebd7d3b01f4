"""The demo's feedback: the same set on every branch, one complaint already past its SLA, recorded once."""

from __future__ import annotations

import pytest

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.demo import DEMO_FEEDBACK, seed_feedback
from branchdesk.feedback import service as feedback
from branchdesk.platform.clock import utcnow
from branchdesk.tenants.models import BranchLevel
from tests.conftest import add_member, onboard, unique_code, unique_employee_number

pytestmark = pytest.mark.external


async def test_demo_feedback_has_one_complaint_past_its_sla_and_is_recorded_once(rt, world):
    # given a branch with the demo's first client numbers
    code = unique_code()
    branch = await onboard(rt, code, BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number("H"))
    manager = await add_member(rt, branch, ["customer_manager"])
    system = Principal.system("tests", BranchRef(branch.id, code))
    async with rt.db.session(branch.id) as session:
        from branchdesk.tenants import repository as tenants

        handler = (await tenants.staff_by_employee_number(session, manager)).id
        for n in range(1, 5):
            await records.create_client(
                session, system, crm.ClientDraft(client_number=f"{code}{n:06d}", name=f"客户{n}", owner_id=handler)
            )
    # when the demo seeds it twice
    async with rt.db.session(branch.id) as session:
        assert await seed_feedback(session, system, code, handler, utcnow()) == len(DEMO_FEEDBACK)
        assert await seed_feedback(session, system, code, handler, utcnow()) == 0
        everything = await feedback.list_feedback(
            session, system, feedback.PageRequest(first=50), feedback.FeedbackFilters()
        )
        breached = await feedback.list_feedback(
            session, system, feedback.PageRequest(first=50), feedback.FeedbackFilters(breached=True)
        )
    items = [item for _, item in everything.items]
    assert len(items) == len(DEMO_FEEDBACK)
    assert sorted(i.state or i.kind for i in items) == sorted(
        ["received", "investigating", "closed", "suggestion", "praise"]
    )
    assert [i.summary for _, i in breached.items] == [DEMO_FEEDBACK[0][5]]
    assert sum(1 for i in items if i.client_id is None) == 1
