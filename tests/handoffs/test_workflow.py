"""The handoff workflow: every action from every state is allowed exactly as the table says, anything
else refused with a typed error naming the state; who may take each step; what completing, declining
and cancelling must say."""

from __future__ import annotations

from decimal import Decimal

import pytest

from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.rules import TRANSITIONS, HandoffAction, HandoffState
from branchdesk.platform.errors import DomainError
from tests.handoffs.conftest import acting, client_of, overdue, raise_

pytestmark = pytest.mark.external

A, S = HandoffAction, HandoffState
STEPS = [A.ACCEPT, A.START, A.COMPLETE, A.DECLINE, A.CANCEL]
# How to bring a handoff to each state, from submitted: (who, action) in order.
PATHS: dict[HandoffState, list[HandoffAction]] = {
    S.SUBMITTED: [],
    S.ACCEPTED: [A.ACCEPT],
    S.IN_PROGRESS: [A.ACCEPT, A.START],
    S.DONE: [A.ACCEPT, A.START, A.COMPLETE],
    S.DECLINED: [A.DECLINE],
    S.CANCELLED: [A.CANCEL],
}


async def _step(rt, team, handoff_id, action, number):
    async with acting(rt, team.branch, number) as (session, by):
        extra = {"reason": "理由"} if action in (A.DECLINE, A.CANCEL) else {}
        return await handoffs.transition(session, by, handoff_id, action, **extra)


def _actor(team, action):
    return team.teller if action is A.CANCEL else team.it  # the raiser cancels; the assignee works it


async def _in_state(rt, team, state):
    if state is S.EXPIRED:
        made = await raise_(rt, team, team.teller)
        await overdue(rt, team.branch.id, made.id, expired=True)
        async with acting(rt, team.branch) as (session, by):
            await handoffs.watch(session, by)
        return made
    made = await raise_(rt, team, team.teller)
    assert made.assignee_id == team.id(team.it)
    for action in PATHS[state]:
        await _step(rt, team, made.id, action, _actor(team, action))
    return made


async def test_every_action_from_every_state_is_allowed_or_refused_naming_the_state(rt, team):
    for state in S:
        for action in STEPS:
            # given an IT-help handoff from a teller, assigned to IT support, brought to the state
            made = await _in_state(rt, team, state)
            # when its assignee (or, to cancel, its raiser) takes the action
            after = TRANSITIONS.get((action, state))
            if after is not None:
                changed = await _step(rt, team, made.id, action, _actor(team, action))
                # then it moves as the table says
                assert changed.state == after, (state, action)
            else:
                with pytest.raises(DomainError) as refused:
                    await _step(rt, team, made.id, action, _actor(team, action))
                # then it is refused with the code, naming the state it is in
                assert refused.value.code == "HANDOFF_TRANSITION_REFUSED", (state, action)
                assert state.value in refused.value.message("en")
                assert action.value in refused.value.message("en")


async def test_only_the_assignee_works_it_and_only_the_raiser_cancels_it(rt, team):
    made = await raise_(rt, team, team.teller)
    # a colleague who sees it through the queue of another role cannot accept it
    with pytest.raises(DomainError) as refused:
        await _step(rt, team, made.id, A.ACCEPT, team.teller)
    assert refused.value.code == "HANDOFF_NOT_THE_ASSIGNEE"
    with pytest.raises(DomainError) as refused:
        await _step(rt, team, made.id, A.CANCEL, team.it)
    assert refused.value.code == "HANDOFF_NOT_THE_RAISER"
    # someone who neither raised it, holds it nor works in its role does not find it at all
    with pytest.raises(DomainError) as refused:
        await _step(rt, team, made.id, A.ACCEPT, team.cm1)
    assert refused.value.code == "NOT_FOUND"
    # the branch head steers any of them
    assert (await _step(rt, team, made.id, A.CANCEL, team.head)).state == S.CANCELLED


async def test_completing_a_referral_says_whether_it_converted(rt, team):
    client = await client_of(rt, team, team.cm1)
    made = await raise_(rt, team, team.lobby, "referral", client_id=client, description="客户咨询理财")
    assert made.assignee_id == team.id(team.cm1)
    await _step(rt, team, made.id, A.ACCEPT, team.cm1)
    await _step(rt, team, made.id, A.START, team.cm1)

    async def complete(outcome):
        async with acting(rt, team.branch, team.cm1) as (session, by):
            return await handoffs.transition(session, by, made.id, A.COMPLETE, outcome=outcome)

    for missing, field in (
        (handoffs.Outcome("谈过了"), "converted"),
        (handoffs.Outcome("成交", converted=True, amount=Decimal("500000")), "productCode"),
        (handoffs.Outcome("成交", converted=True, product_code="WM-90D"), "amount"),
        (handoffs.Outcome("成交", converted=True, product_code="WM-90D", amount=Decimal(0)), "amount"),
    ):
        with pytest.raises(DomainError) as refused:
            await complete(missing)
        assert (refused.value.code, refused.value.field) == ("HANDOFF_OUTCOME_REQUIRED", field)
    done = await complete(
        handoffs.Outcome("购买90天理财", converted=True, product_code="WM-90D", amount=Decimal("500000"))
    )
    assert (done.state, done.converted, done.product_code, done.amount) == ("done", True, "WM-90D", Decimal("500000"))


async def test_declining_and_cancelling_say_why(rt, team):
    made = await raise_(rt, team, team.teller)
    for action, number in ((A.DECLINE, team.it), (A.CANCEL, team.teller)):
        async with acting(rt, team.branch, number) as (session, by):
            with pytest.raises(DomainError) as refused:
                await handoffs.transition(session, by, made.id, action, reason="  ")
        assert (refused.value.code, refused.value.field) == ("HANDOFF_REASON_REQUIRED", "reason")
    declined = await _step(rt, team, made.id, A.DECLINE, team.it)
    assert declined.state == S.DECLINED and declined.decline_reason == "理由"


async def test_an_origin_is_a_visit_meeting_ticket_or_handoff_of_the_branch(rt, world, team):
    from branchdesk.handoffs.rules import OriginType
    from branchdesk.visits import service as visits
    from branchdesk.visits.rules import Purpose, ServiceLine
    from tests.visits.conftest import make_floor, register

    # given a walk-in registered in this branch, a handoff raised here, and a walk-in in another branch
    async with acting(rt, team.branch, team.lobby) as (session, by):
        draft = visits.VisitDraft(purpose=Purpose.WEALTH_ENQUIRY, line=ServiceLine.CUSTOMER_MANAGER)
        here = await visits.register_visit(session, by, draft)
    earlier = await raise_(rt, team, team.teller)
    elsewhere = await register(rt, await make_floor(rt, world))

    # when a teller refers from this branch's visit, or follows up on the earlier handoff, it is kept
    referral = await raise_(rt, team, team.teller, origin=(OriginType.VISIT, here.id))
    assert (referral.origin_type, referral.origin_id) == ("visit", here.id)
    follow_on = await raise_(rt, team, team.teller, origin=(OriginType.HANDOFF, earlier.id))
    assert follow_on.origin_id == earlier.id

    # but another branch's visit, an id of nothing, or a visit's id named as a meeting is not found
    for origin in [
        (OriginType.VISIT, elsewhere.id),
        (OriginType.TICKET, earlier.id),
        (OriginType.MEETING, here.id),
    ]:
        with pytest.raises(DomainError) as refused:
            await raise_(rt, team, team.teller, origin=origin)
        assert (refused.value.code, refused.value.field) == ("NOT_FOUND", "origin.id"), origin
