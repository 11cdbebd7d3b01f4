from __future__ import annotations

import uuid
from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.handoffs.types import HandoffPriority
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text
from branchdesk.graphql.meetings.queries import meeting_uuid
from branchdesk.graphql.meetings.types import MeetingNode
from branchdesk.handoffs import rules
from branchdesk.meetings import service as meetings


@strawberry.input(description="An action item: a handoff to a member, due by the close of a working day.")
class ActionItemInput:
    description: str = text("What is to be done.", max_length=2000)
    assignee_id: strawberry.ID = strawberry.field(description="Who does it (a `StaffMember` of the branch).")
    due_on: date = strawberry.field(
        description="Due by the close of business on this day (the working day before, when it is a day off)."
    )
    priority: HandoffPriority = strawberry.field(default=rules.Priority.NORMAL, description="How urgent it is.")


@strawberry.input(description="A branch meeting as it was held.")
class RecordMeetingInput:
    title: str = text("What meeting, e.g. 周一晨会.", max_length=200)
    held_at: datetime = strawberry.field(description="When it was held (up to 90 days back, 30 ahead).")
    agenda: str = text("The agenda.", max_length=4000)
    minutes: str | None = text("The minutes.", max_length=8000, default=None)
    decisions: list[str] = text(
        "The decisions taken, in order (at most 50).", max_length=500, each=True, default_factory=list
    )
    attendee_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Who attended (`StaffMember` ids)."
    )
    action_items: list[ActionItemInput] = strawberry.field(default_factory=list, description="Its action items.")


@strawberry.input(description="Add an action item to a recorded meeting.")
class AddActionItemInput:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")
    item: ActionItemInput = strawberry.field(description="The action item.")


async def _meeting_now(root: MeetingPayload, info: Info) -> MeetingNode | None:
    if root.meeting_id is None:
        return None
    found: MeetingNode | None = await info.context.loaders.meeting.load(root.meeting_id)
    return found


@payload
class MeetingPayload:
    meeting: MeetingNode | None = strawberry.field(
        resolver=_meeting_now, description="The meeting, with its action items, after the change."
    )
    meeting_id: strawberry.Private[uuid.UUID | None] = None


def _item(given: ActionItemInput) -> meetings.ActionItemDraft:
    return meetings.ActionItemDraft(
        description=given.description,
        assignee_id=staff_uuid(given.assignee_id, "assigneeId"),
        due_on=given.due_on,
        priority=rules.Priority(given.priority.value),
    )


@strawberry.type
class Mutations:
    @p.mutation(
        "meeting:record",
        "Record a branch meeting with its attendees, minutes, decisions and action items; each action item is a "
        "handoff to its assignee (notified), due by the close of business on its day.",
    )
    async def record_meeting(self, info: Info, input: RecordMeetingInput) -> MeetingPayload:
        async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
            draft = meetings.MeetingDraft(
                title=input.title,
                held_at=input.held_at,
                agenda=input.agenda,
                minutes=input.minutes,
                decisions=list(input.decisions),
                attendee_ids=[staff_uuid(a, "attendeeIds") for a in input.attendee_ids],
                action_items=[_item(i) for i in input.action_items],
            )
            return {"meeting_id": (await meetings.record_meeting(session, by, draft)).id}

        return await mutate(info, MeetingPayload, run)

    @p.mutation("meeting:record", "Add an action item (a handoff to its assignee) to a recorded meeting.")
    async def add_action_item(self, info: Info, input: AddActionItemInput) -> MeetingPayload:
        async def run(session: AsyncSession, by: Principal) -> dict[str, object]:
            found = await meetings.add_action_item(
                session, by, meeting_uuid(input.meeting_id, "meetingId"), _item(input.item)
            )
            return {"meeting_id": found.id}

        return await mutate(info, MeetingPayload, run)
