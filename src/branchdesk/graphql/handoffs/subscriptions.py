from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql import live
from branchdesk.graphql import permissions as p
from branchdesk.graphql.handoffs.types import HandoffAssignedEvent
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.permissions import HANDOFF_RAISE


@strawberry.type
class Subscriptions:
    @p.subscription(
        HANDOFF_RAISE,
        "Each handoff assigned to you in the active branch (raised, reassigned or passed to you as a cover), as it "
        "commits, whichever API process it was made through. Nobody else's are delivered.",
    )
    async def handoff_assigned(self, info: Info) -> AsyncGenerator[HandoffAssignedEvent, None]:
        me = str(info.context.principal().staff_id)
        async for event in live.events(info, frozenset({handoffs.ASSIGNED_TOPIC}), HANDOFF_RAISE):
            if event.data.get("staff") != me:
                continue
            yield HandoffAssignedEvent(
                handoff_id=strawberry.ID(relay.to_base64("Handoff", event.data["handoff"])),
                type=event.data.get("type", ""),
                assigned_at=event.at,
            )
