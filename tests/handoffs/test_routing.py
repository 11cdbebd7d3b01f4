"""Routing: the client's owner when on duty, else the least-loaded member of the role on duty, else the
branch head; an absent person's named cover takes their work, even a member of another branch who
covers this one, who then sees the handed-over item and nothing else of the branch's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from branchdesk.availability import service as availability
from branchdesk.platform.clock import utcnow
from branchdesk.tenants import service as tenant_service
from branchdesk.tenants.models import BranchLevel, MembershipKind
from tests.conftest import add_member, onboard, unique_code, unique_employee_number
from tests.handoffs.conftest import acting, client_of, inbox, make_team, raise_, staff_id

pytestmark = pytest.mark.external

HANDOFF = """query($id: ID!) { handoff(id: $id) { id description client { id } assignee { employeeNumber } } }"""
MINE = """query($f: HandoffFilter) { handoffs(filter: $f, first: 10) { totalCount edges { node { id } } } }"""
CLIENTS = "{ clients(first: 10) { edges { node { id } } } }"


async def away(rt, team, number, cover=None):
    """``number`` is away from now for a week, ``cover`` (a staff id) standing in."""
    async with acting(rt, team.branch, team.head) as (session, by):
        await availability.record_absence(
            session, by, team.id(number), utcnow(), utcnow() + timedelta(days=6), "年假", cover
        )


async def test_a_referral_goes_to_the_clients_owner_on_duty(rt, team):
    client = await client_of(rt, team, team.cm2)
    made = await raise_(rt, team, team.lobby, "referral", client_id=client)
    assert (made.assignee_id, made.routed_by) == (team.id(team.cm2), "client_owner")
    # the owner is told, in their inbox
    assert (team.id(team.cm2), made.id) in await inbox(rt, team.branch.id, "handoff.assigned")


async def test_an_absent_owner_hands_over_to_their_cover_or_else_to_the_least_loaded(rt, team):
    client = await client_of(rt, team, team.cm1)
    await away(rt, team, team.cm1, cover=team.id(team.lobby))
    covered = await raise_(rt, team, team.teller, "referral", client_id=client)
    assert (covered.assignee_id, covered.routed_by) == (team.id(team.lobby), "cover")


async def test_an_absent_owner_without_a_cover_means_the_least_loaded_on_duty(rt, team):
    client = await client_of(rt, team, team.cm1)
    await away(rt, team, team.cm1)
    made = await raise_(rt, team, team.teller, "referral", client_id=client)
    assert (made.assignee_id, made.routed_by) == (team.id(team.cm2), "least_loaded")


async def test_without_a_client_the_least_loaded_member_of_the_role_gets_it(rt, team):
    # given cm1 and cm2 with nothing open: the first goes to one of them, the next to the other
    first = await raise_(rt, team, team.lobby, "referral")
    second = await raise_(rt, team, team.lobby, "referral")
    assert {first.assignee_id, second.assignee_id} == {team.id(team.cm1), team.id(team.cm2)}
    assert first.routed_by == second.routed_by == "least_loaded"
    # when the first one's is finished (no longer open), that person is the least loaded again
    async with acting(rt, team.branch, team.lobby) as (session, by):
        from branchdesk.handoffs import service as handoffs
        from branchdesk.handoffs.rules import HandoffAction

        await handoffs.transition(session, by, first.id, HandoffAction.CANCEL, reason="客户已离开")
    third = await raise_(rt, team, team.lobby, "referral")
    assert third.assignee_id == first.assignee_id


async def test_nobody_of_the_role_on_duty_means_the_branch_head(rt, world):
    team = await make_team(rt, world, risk=False)
    made = await raise_(rt, team, team.cm1, "risk_review")
    assert (made.assignee_id, made.routed_by) == (team.id(team.head), "branch_head")
    # and when the only IT support is away with nobody named, IT help also falls back to the head
    await away(rt, team, team.it)
    help_ = await raise_(rt, team, team.teller, "it_help")
    assert (help_.assignee_id, help_.routed_by) == (team.id(team.head), "branch_head")


async def test_a_cover_from_another_branch_sees_only_the_handed_over_item(rt, world, api, team):
    # given a customer manager of a neighbouring branch who covers this one for a week
    neighbour = await onboard(
        rt, unique_code(), BranchLevel.TIER1_BRANCH, world.head_office.code, unique_employee_number("H")
    )
    visitor = await add_member(rt, neighbour, ["customer_manager"])
    visitor_id = await staff_id(rt, visitor)
    async with rt.db.session(team.branch.id) as session:
        window = tenant_service.Window(kind=MembershipKind.COVER, ends_at=utcnow() + timedelta(days=7))
        await tenant_service.set_member_roles(session, team.branch.id, visitor_id, ["customer_manager"], window=window)
    # and cm1 away, naming them as cover
    await away(rt, team, team.cm1, cover=visitor_id)
    client = await client_of(rt, team, team.cm1, name="李雷")
    other = await client_of(rt, team, team.cm2, name="韩梅梅")
    # when the lobby refers cm1's client, and another referral goes to cm2's
    handed = await raise_(rt, team, team.lobby, "referral", client_id=client, description="转介给代岗客户经理")
    elsewhere = await raise_(rt, team, team.lobby, "referral", client_id=other, description="不该看到")
    assert (handed.assignee_id, handed.routed_by) == (visitor_id, "cover")
    assert elsewhere.assignee_id == team.id(team.cm2)
    # then the cover sees the handed-over item
    token = await api.token(visitor)
    ask = lambda q, v=None: api.post(q, v, token=token, branch=team.branch.code)  # noqa: E731
    from strawberry import relay

    gid = str(relay.GlobalID("Handoff", str(handed.id)))
    found = (await ask(HANDOFF, {"id": gid}))["data"]["handoff"]
    assert found["description"] == "转介给代岗客户经理" and found["assignee"]["employeeNumber"] == visitor
    # but not the client book: not the client of the item, not the branch's clients, not the other referral
    assert found["client"] is None
    assert (await ask(CLIENTS))["data"]["clients"]["edges"] == []
    other_gid = str(relay.GlobalID("Handoff", str(elsewhere.id)))
    assert (await ask(HANDOFF, {"id": other_gid}))["data"]["handoff"] is None
    everything = (await ask(MINE))["data"]["handoffs"]
    assert everything["totalCount"] == 1 and everything["edges"][0]["node"]["id"] == gid
    queue = (await ask(MINE, {"f": {"roleQueue": True}}))["data"]["handoffs"]
    assert queue["totalCount"] == 0  # a cover from elsewhere sees no role queue of this branch
