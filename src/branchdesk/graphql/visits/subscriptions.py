from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql import live
from branchdesk.graphql import permissions as p
from branchdesk.graphql.visits.types import ServiceLine
from branchdesk.visits import rules
from branchdesk.visits import service as visits
from branchdesk.visits.permissions import VISIT_READ


@strawberry.type(description="A change to a line's queue, once it has committed: refetch the board (`queueBoard`).")
class QueueChangedEvent:
    line: ServiceLine = strawberry.field(description="The line whose queue changed.")
    visit_id: strawberry.ID = strawberry.field(description="The visit that moved (read it with `visit(id:)`).")
    action: str = strawberry.field(
        description="What happened: `registered`, `called`, `started`, `no_show`, `ended` or `transferred`."
    )
    changed_at: datetime = strawberry.field(description="When the change committed.")


@strawberry.type
class Subscriptions:
    @p.subscription(
        VISIT_READ,
        "Each change to the active branch's queue (of one line, or every line), as it commits, whichever API "
        "process it was made through. Every event is checked against the branch's policy as it is then: the "
        "subscription ends with `FORBIDDEN` once the permission is gone.",
    )
    async def queue_changed(
        self,
        info: Info,
        line: Annotated[
            ServiceLine | None, strawberry.argument(description="Only this line's changes; every line when omitted.")
        ] = None,
    ) -> AsyncGenerator[QueueChangedEvent, None]:
        wanted = rules.ServiceLine(line.value) if line is not None else None
        async for event in live.events(info, frozenset({visits.QUEUE_CHANGED}), VISIT_READ):
            if wanted is not None and event.data.get("line") != wanted.value:
                continue
            yield QueueChangedEvent(
                line=rules.ServiceLine(event.data["line"]),
                visit_id=strawberry.ID(relay.to_base64("Visit", event.data["visitId"])),
                action=event.data["action"],
                changed_at=event.at,
            )
