from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.availability import service as availability
from branchdesk.graphql import permissions as p
from branchdesk.graphql.availability.types import StaffAbsenceNode
from branchdesk.graphql.ids import node_uuid, staff_uuid
from branchdesk.platform.errors import NotFound


def absence_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "StaffAbsence", NotFound("absence", "离岗记录", field=field))


@strawberry.type
class Queries:
    @p.field("availability:read", "Absences in the branch meeting `from`…`to` (at most 366 days), by start.")
    async def absences(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from", description="The window's start.")],
        to: Annotated[datetime, strawberry.argument(description="The window's end (after `from`).")],
        staff_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this staff member's absences.")
        ] = None,
    ) -> list[StaffAbsenceNode] | None:
        staff = staff_uuid(staff_id) if staff_id is not None else None
        found = await info.context.call(availability.absences, from_, to, staff)
        return [StaffAbsenceNode.of(a) for a in found]
