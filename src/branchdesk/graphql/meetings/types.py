"""GraphQL types of branch meetings."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.handoffs.types import HandoffNode
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.meetings.models import Meeting, MeetingAttendee


@strawberry.type(
    name="Meeting",
    description="A branch meeting (例会): agenda, attendees, minutes, decisions and action items. Each action item is "
    "a handoff (type `action_item`) with an assignee and a due time, in their inbox like any other.",
)
class MeetingNode(LoadedNode):
    node_loader = "meeting"
    id: relay.NodeID[str]
    title: str = strawberry.field(description="What meeting, e.g. 周一晨会.")
    held_at: datetime = strawberry.field(description="When it was held.")
    agenda: str = strawberry.field(description="The agenda.")
    minutes: str | None = strawberry.field(description="The minutes.")
    decisions: list[str] = strawberry.field(description="The decisions taken, in order.")
    recorded_by: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: Meeting) -> MeetingNode:
        return cls(
            id=str(found.id),
            title=found.title,
            held_at=found.held_at,
            agenda=found.agenda,
            minutes=found.minutes,
            decisions=list(found.decisions),
            recorded_by=found.recorded_by,
        )

    @strawberry.field(description="Who recorded it; null for a former member.")
    async def recorded_by_member(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.recorded_by)

    @strawberry.field(description="Who attended (current members of the branch).")
    async def attendees(self, info: Info) -> list[StaffMember]:
        found: list[MeetingAttendee] = await info.context.loaders.meeting_attendees.load(uuid.UUID(self.id))
        members: list[StaffMember | None] = await info.context.loaders.member.load_many([a.staff_id for a in found])
        return [m for m in members if m is not None]

    @strawberry.field(description="Its action items that you may see (handoffs whose origin is this meeting).")
    async def action_items(self, info: Info) -> list[HandoffNode]:
        found: list[HandoffNode] = await info.context.loaders.meeting_action_items.load(uuid.UUID(self.id))
        return found


@strawberry.type(name="MeetingConnection", description="A page of meetings.")
class MeetingConnection(CountedConnection[MeetingNode]):
    pass
