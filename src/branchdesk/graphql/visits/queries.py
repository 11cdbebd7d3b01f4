from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.graphql.visits.types import (
    QueueBoard,
    QueueHourMetrics,
    ServiceLine,
    VisitConnection,
    VisitFilter,
    VisitNode,
    VisitOrder,
)
from branchdesk.platform.errors import NotFound
from branchdesk.visits import rules
from branchdesk.visits import service as visits


def visit_uuid(global_id: strawberry.ID | str, field: str = "visitId") -> uuid.UUID:
    return node_uuid(global_id, "Visit", NotFound("Visit", "到店记录", field=field))


def filters_of(given: VisitFilter | None) -> visits.VisitFilters:
    if given is None:
        return visits.VisitFilters()
    return visits.VisitFilters(
        local_day=given.day,
        line=rules.ServiceLine(given.line.value) if given.line else None,
        state=rules.TicketState(given.state.value) if given.state else None,
    )


@strawberry.type
class Queries:
    @p.field(
        "visit:read",
        "Walk-in visits of the active branch, newest first unless `orderBy` says otherwise.",
    )
    async def visits(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            VisitFilter | None, strawberry.argument(description="Which visits; all conditions hold.")
        ] = None,
        order_by: VisitOrder | None = None,
    ) -> VisitConnection | None:
        ctx = info.context
        order = order_by or VisitOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        wanted = filters_of(filter)
        page = await ctx.call(visits.list_visits, request, wanted)
        return connection(page, VisitNode.of, VisitConnection, total=lambda: ctx.call(visits.count_visits, wanted))

    @p.field("visit:read", "One visit by id; null when there is no such visit in the branch.")
    async def visit(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The visit.")]
    ) -> VisitNode | None:
        found: VisitNode | None = await info.context.loaders.visit.load(visit_uuid(id, "id"))
        return found

    @p.field(
        "visit:read",
        "The live board of one service line today: who waits (with their estimated wait), who is being served, "
        "and the estimated wait for a client who takes a ticket now.",
    )
    async def queue_board(
        self,
        info: Info,
        line: Annotated[ServiceLine, strawberry.argument(description="The line.")],
    ) -> QueueBoard | None:
        boards = await info.context.call(visits.queue_boards, [rules.ServiceLine(line.value)])
        return QueueBoard.of(boards[0])

    @p.field("visit:read", "The live boards of every service line today, in the order counter, B, VIP, self-service.")
    async def queue_boards(self, info: Info) -> list[QueueBoard] | None:
        return [QueueBoard.of(b) for b in await info.context.call(visits.queue_boards)]

    @p.field(
        "queue:metrics",
        "The queue's metrics per line and local hour of a day (today by default): arrivals, average and p90 wait, "
        "service time, abandonment (no-shows). Only hours with arrivals are listed.",
    )
    async def queue_metrics(
        self,
        info: Info,
        day: Annotated[
            date | None, strawberry.argument(description="The branch's local day; today when omitted.")
        ] = None,
    ) -> list[QueueHourMetrics] | None:
        return [QueueHourMetrics.of(m) for m in await info.context.call(visits.queue_metrics, day)]
