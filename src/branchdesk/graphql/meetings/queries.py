from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.meetings.types import MeetingConnection, MeetingNode
from branchdesk.graphql.relay import Before, Cursor, First, Last, OrderDirection, connection, page_request
from branchdesk.meetings import service as meetings
from branchdesk.platform.errors import NotFound


def meeting_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "Meeting", NotFound("Meeting", "例会", field=field))


@strawberry.type
class Queries:
    @p.field("meeting:read", "The branch's meetings, latest first unless `orderBy` says otherwise.")
    async def meetings(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[
            OrderDirection | None, strawberry.argument(description="By when they were held: DESC (default) or ASC.")
        ] = None,
    ) -> MeetingConnection | None:
        ctx = info.context
        request = page_request(ctx.settings, first, after, last, before, direction=order_by or OrderDirection.DESC)
        page = await ctx.call(meetings.list_meetings, request)
        return connection(page, MeetingNode.of, MeetingConnection, total=lambda: ctx.call(meetings.count_meetings))
