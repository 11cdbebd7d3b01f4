from __future__ import annotations

import strawberry
from strawberry.types import Info

from branchdesk.credentials import service
from branchdesk.graphql import permissions as p
from branchdesk.graphql.credentials.types import ActivationState
from branchdesk.graphql.ids import staff_uuid
from branchdesk.platform.errors import NotFound


@strawberry.type
class Queries:
    @p.field(
        "staff:manage",
        "Where a member's latest activation code stands (never the code): pending, used, expired or superseded. "
        "Members of the active branch; null for anyone else.",
    )
    async def activation_status(self, info: Info, staff_id: strawberry.ID) -> ActivationState | None:
        try:
            staff_id_ = staff_uuid(staff_id)
        except NotFound:
            return None
        found = await info.context.call(service.activation_status, staff_id_)
        return ActivationState.of(found) if found else None
