"""The complaint workflow: every pair of action and state, allowed or refused as the one table says;
each step recorded with who, when and the note, and audited; resolving needs what the client was told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from branchdesk.feedback import service as feedback
from branchdesk.feedback.rules import TRANSITIONS, ComplaintAction, ComplaintState, FeedbackKind
from branchdesk.platform.audit import AuditEvent
from branchdesk.platform.errors import DomainError, Forbidden
from tests.feedback.conftest import acting, submit

pytestmark = pytest.mark.external

A, S = ComplaintAction, ComplaintState
# The allowed path to each state from a new complaint.
PATH = {
    S.RECEIVED: [],
    S.ACKNOWLEDGED: [A.ACKNOWLEDGE],
    S.INVESTIGATING: [A.ACKNOWLEDGE, A.START_INVESTIGATION],
    S.RESOLVED: [A.ACKNOWLEDGE, A.START_INVESTIGATION, A.RESOLVE],
    S.CLOSED: [A.ACKNOWLEDGE, A.START_INVESTIGATION, A.RESOLVE, A.CLOSE],
}
EXPECTED = {
    (A.ACKNOWLEDGE, S.RECEIVED): S.ACKNOWLEDGED,
    (A.START_INVESTIGATION, S.ACKNOWLEDGED): S.INVESTIGATING,
    (A.RESOLVE, S.INVESTIGATING): S.RESOLVED,
    (A.CLOSE, S.RESOLVED): S.CLOSED,
    (A.REOPEN, S.RESOLVED): S.INVESTIGATING,
    (A.REOPEN, S.CLOSED): S.INVESTIGATING,
}


def test_the_table_is_the_workflow_of_the_issue():
    assert TRANSITIONS == EXPECTED


async def _drive(rt, crm_branch, steps):
    complaint = await submit(rt, crm_branch.branch, crm_branch.lobby)
    async with acting(rt, crm_branch.branch, crm_branch.lobby) as (session, by):
        for step in steps:
            await feedback.transition(session, by, complaint.id, step, resolution="已向客户致歉并说明原因")
    return complaint


@pytest.mark.parametrize("state", list(S), ids=lambda s: s.value)
@pytest.mark.parametrize("action", list(A), ids=lambda a: a.value)
async def test_every_action_from_every_state(rt, crm_branch, action, state):
    # given a complaint in the state
    complaint = await _drive(rt, crm_branch, PATH[state])
    expected = EXPECTED.get((action, state))
    async with acting(rt, crm_branch.branch, crm_branch.cm1) as (session, by):
        if expected is None:
            # then a refused transition is a typed error naming the current state
            with pytest.raises(DomainError) as refused:
                await feedback.transition(session, by, complaint.id, action, resolution="说明")
            assert refused.value.code == "COMPLAINT_TRANSITION_REFUSED"
            assert refused.value.field == "id"
            assert refused.value.params["state"] == state.value
            assert f"is {state.value}" in refused.value.message("en")
        else:
            # when it is allowed, the complaint moves and the step is recorded
            moved = await feedback.transition(session, by, complaint.id, action, note="跟进", resolution="说明")
            assert moved.state == expected.value
            history = (await feedback.history_of(session, by, [complaint.id]))[complaint.id]
            last = history[-1]
            assert (last.action, last.from_state, last.to_state, last.note) == (
                action.value,
                state.value,
                expected.value,
                "跟进",
            )
            assert last.actor_id == by.staff_id and last.at == moved.updated_at


async def test_each_step_is_audited_and_the_history_is_complete(rt, crm_branch):
    complaint = await _drive(rt, crm_branch, PATH[S.CLOSED] + [A.REOPEN])
    async with acting(rt, crm_branch.branch, crm_branch.head) as (session, by):
        history = (await feedback.history_of(session, by, [complaint.id]))[complaint.id]
        actions = await session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_id == str(complaint.id)).order_by(AuditEvent.seq)
        )
        found = list(actions)
    assert [h.action for h in history] == [
        "receive",
        "acknowledge",
        "start_investigation",
        "resolve",
        "close",
        "reopen",
    ]
    assert found == [
        "feedback.submitted",
        "complaint.acknowledge",
        "complaint.start_investigation",
        "complaint.resolve",
        "complaint.close",
        "complaint.reopen",
    ]


async def test_reopening_clears_the_resolution_dates_but_keeps_the_text(rt, crm_branch):
    complaint = await _drive(rt, crm_branch, PATH[S.CLOSED])
    async with acting(rt, crm_branch.branch, crm_branch.head) as (session, by):
        reopened = await feedback.transition(session, by, complaint.id, A.REOPEN, note="客户再次来电")
    assert reopened.state == S.INVESTIGATING
    assert reopened.closed_at is None and reopened.resolved_at is None
    assert reopened.resolution == "已向客户致歉并说明原因"


async def test_resolving_needs_what_the_client_was_told(rt, crm_branch):
    complaint = await _drive(rt, crm_branch, PATH[S.INVESTIGATING])
    async with acting(rt, crm_branch.branch, crm_branch.cm1) as (session, by):
        for blank in (None, "", "   "):
            with pytest.raises(DomainError) as refused:
                await feedback.transition(session, by, complaint.id, A.RESOLVE, resolution=blank)
            assert (refused.value.code, refused.value.field) == ("COMPLAINT_RESOLUTION_REQUIRED", "resolution")


async def test_praise_has_no_workflow(rt, crm_branch):
    praise = await submit(rt, crm_branch.branch, crm_branch.teller, kind=FeedbackKind.PRAISE)
    assert praise.state is None and praise.acknowledge_due_at is None
    async with acting(rt, crm_branch.branch, crm_branch.head) as (session, by):
        with pytest.raises(DomainError) as refused:
            await feedback.transition(session, by, praise.id, A.ACKNOWLEDGE)
    assert (refused.value.code, refused.value.field) == ("FEEDBACK_NOT_A_COMPLAINT", "id")


async def test_a_teller_records_but_does_not_handle_complaints(rt, crm_branch):
    complaint = await submit(rt, crm_branch.branch, crm_branch.teller)
    async with acting(rt, crm_branch.branch, crm_branch.teller) as (session, by):
        with pytest.raises(Forbidden):
            await feedback.transition(session, by, complaint.id, A.ACKNOWLEDGE)


async def test_a_complaint_is_assigned_to_a_member_of_the_branch(rt, crm_branch, world):
    complaint = await submit(rt, crm_branch.branch, crm_branch.lobby)
    async with acting(rt, crm_branch.branch, crm_branch.head) as (session, by):
        cm = await session.scalar(select_staff(crm_branch.cm1))
        assigned = await feedback.assign(session, by, complaint.id, cm, note="请跟进")
        stranger = await session.scalar(select_staff(world.head_b))
        with pytest.raises(DomainError) as refused:
            await feedback.assign(session, by, complaint.id, stranger)
    assert assigned.assignee_id == cm
    assert (refused.value.code, refused.value.field) == ("NOT_FOUND", "assigneeId")


def select_staff(employee_number: str):
    from branchdesk.tenants.models import Staff

    return select(Staff.id).where(Staff.employee_number == employee_number)
