"""The demo's morning of working together: two referrals from the lobby (one converted), an IT ticket and
last week's meeting with its action items, recorded once."""

from __future__ import annotations

import uuid

import pytest

from branchdesk.access.principal import BranchRef, Principal
from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.demo import DEMO_REFERRALS, seed_working_together
from branchdesk.handoffs import service as handoffs
from branchdesk.meetings import service as meetings
from branchdesk.platform.clock import utcnow
from branchdesk.platform.pagination import PageRequest

pytestmark = pytest.mark.external


async def test_the_demo_morning_is_recorded_once(rt, team):
    code = team.branch.code
    system = Principal.system("tests", BranchRef(team.branch.id, code))
    async with rt.db.session(team.branch.id) as session:
        for n in (1, 2):
            draft = crm.ClientDraft(client_number=f"{code}{n:06d}", name=f"客户{n}", owner_id=team.id(team.cm1))
            await records.create_client(session, system, draft)
    people = (team.lobby, team.cm1, team.teller, team.head)
    async with rt.db.session(team.branch.id) as session:
        assert await seed_working_together(session, system, code, utcnow(), people) == 5
        assert await seed_working_together(session, system, code, utcnow(), people) == 0
        page = await handoffs.list_handoffs(
            session, system, PageRequest.of(50, None, default=20, maximum=100), handoffs.HandoffFilters()
        )
        kinds = {t.id: t.code for t in await handoffs.handoff_types(session, system)}
        held = await meetings.list_meetings(session, system, PageRequest.of(5, None, default=20, maximum=100))
    found = [h for _, h in page.items]
    referrals = [h for h in found if kinds[h.type_id] == "referral"]
    assert len(referrals) == len(DEMO_REFERRALS)
    assert {h.raised_by for h in referrals} == {team.id(team.lobby)}
    assert {h.assignee_id for h in referrals} == {team.id(team.cm1)}  # the clients' owner
    assert sorted((h.state, h.converted) for h in referrals) == [("done", True), ("submitted", None)]
    assert sorted(kinds[h.type_id] for h in found) == ["action_item", "action_item", "it_help", "referral", "referral"]
    assert [m.title for _, m in held.items] == ["周一晨会"]
    assert isinstance(held.items[0][1].id, uuid.UUID)
