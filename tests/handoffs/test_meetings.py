"""Branch meetings: recorded with attendees, decisions and action items; each action item is a handoff
to its assignee, due by the close of business on its day, so it joins their inbox, the SLA and the
escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.rules import OriginType
from branchdesk.meetings import service as meetings
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError
from tests.handoffs.conftest import acting, inbox

pytestmark = pytest.mark.external


async def test_action_items_are_handoffs_to_their_assignees(rt, team):
    week = utcnow().date() + timedelta(days=7)
    draft = meetings.MeetingDraft(
        title="周一晨会",
        held_at=utcnow() - timedelta(days=1),
        agenda="上周业绩、本周营销重点",
        minutes="讨论了理财产品到期客户的回访",
        decisions=["本周回访到期客户"],
        attendee_ids=[team.id(team.cm1), team.id(team.lobby)],
        action_items=[meetings.ActionItemDraft("回访10位到期客户", team.id(team.cm1), week)],
    )
    async with acting(rt, team.branch, team.head) as (session, by):
        meeting = await meetings.record_meeting(session, by, draft)
        await meetings.add_action_item(
            session, by, meeting.id, meetings.ActionItemDraft("整理大堂宣传物料", team.id(team.lobby), week)
        )
    # the assignees each have theirs, of type action item, from the meeting, due no later than that day's close
    async with acting(rt, team.branch, team.head) as (session, by):
        items = (await meetings.action_items_of(session, by, [meeting.id]))[meeting.id]
        kinds = {t.id: t.code for t in await handoffs.handoff_types(session, by)}
    assert sorted(i.assignee_id for i in items) == sorted([team.id(team.cm1), team.id(team.lobby)])
    assert {kinds[i.type_id] for i in items} == {"action_item"}
    assert {(i.origin_type, i.origin_id) for i in items} == {(OriginType.MEETING.value, meeting.id)}
    assert all(i.due_at.date() <= week + timedelta(days=1) for i in items)
    told = await inbox(rt, team.branch.id, "handoff.assigned")
    assert {r for r, s in told if s in {i.id for i in items}} == {team.id(team.cm1), team.id(team.lobby)}
    # and the assignee's own list holds it
    async with acting(rt, team.branch, team.cm1) as (session, by):
        from branchdesk.platform.pagination import PageRequest

        page = await handoffs.list_handoffs(
            session, by, PageRequest.of(10, None, default=20, maximum=100), handoffs.HandoffFilters(mine=True)
        )
    assert [h.description for _, h in page.items] == ["回访10位到期客户"]


async def test_recording_is_the_heads_and_a_due_date_in_the_past_is_refused(rt, team):
    draft = meetings.MeetingDraft(title="晨会", held_at=utcnow(), agenda="议程")
    async with acting(rt, team.branch, team.teller) as (session, by):
        with pytest.raises(DomainError) as refused:
            await meetings.record_meeting(session, by, draft)
    assert refused.value.code == "FORBIDDEN"
    late = meetings.ActionItemDraft("补材料", team.id(team.teller), utcnow().date() - timedelta(days=10))
    async with acting(rt, team.branch, team.head) as (session, by):
        with pytest.raises(DomainError) as refused:
            await meetings.record_meeting(
                session, by, meetings.MeetingDraft("晨会", utcnow(), "议程", action_items=[late])
            )
    assert (refused.value.code, refused.value.field) == ("ACTION_ITEM_DUE_ON", "dueOn")
