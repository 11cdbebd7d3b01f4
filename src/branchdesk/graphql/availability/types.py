"""GraphQL types of staff availability: absences and their covers."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.availability.models import StaffAbsence
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.tenants.types import StaffMember, member_or_none


@strawberry.type(
    name="StaffAbsence",
    description="A staff member away from the branch (leave, training) and the colleague who covers: their "
    "follow-ups and handoffs go to the cover meanwhile.",
)
class StaffAbsenceNode(LoadedNode):
    node_loader = "staff_absence"
    id: relay.NodeID[str]
    starts_at: datetime = strawberry.field(description="When the absence starts.")
    ends_at: datetime = strawberry.field(description="When it ends.")
    reason: str = strawberry.field(description="Why (annual leave, training…).")
    staff_id: strawberry.Private[uuid.UUID]
    cover_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: StaffAbsence) -> StaffAbsenceNode:
        return cls(
            id=str(found.id),
            starts_at=found.starts_at,
            ends_at=found.ends_at,
            reason=found.reason,
            staff_id=found.staff_id,
            cover_id=found.cover_id,
        )

    @strawberry.field(description="Who is away (null for a former member).")
    async def staff(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.staff_id)

    @strawberry.field(description="Who covers (null: nobody named, or a cover whose membership ended).")
    async def cover(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.cover_id)
