from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.relay import Before, Cursor, First, Last, OrderDirection, connection, page_request
from branchdesk.graphql.tickets.types import (
    IncidentConnection,
    IncidentNode,
    IncidentState,
    SupportTicketConnection,
    SupportTicketNode,
    TicketQueue,
)
from branchdesk.platform.errors import NotFound
from branchdesk.tickets import rules
from branchdesk.tickets import service as tickets


def ticket_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "SupportTicket", NotFound("Support ticket", "技术支持工单", field=field))


def incident_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "Incident", NotFound("Incident", "突发事件", field=field))


@strawberry.type
class Queries:
    @p.field(
        "handoff:raise",
        "Support tickets you may see (their handoff's visibility: what you opened, what is assigned to you, your "
        "roles' queues), newest first unless `orderBy` says otherwise.",
    )
    async def tickets(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        queue: Annotated[TicketQueue | None, strawberry.argument(description="Only this queue.")] = None,
        open: Annotated[bool, strawberry.argument(description="Only those whose handoff is open.")] = False,
        order_by: Annotated[
            OrderDirection | None, strawberry.argument(description="By when they were opened: DESC (default) or ASC.")
        ] = None,
    ) -> SupportTicketConnection | None:
        ctx = info.context
        request = page_request(ctx.settings, first, after, last, before, direction=order_by or OrderDirection.DESC)
        wanted = rules.TicketQueue(queue.value) if queue else None
        page = await ctx.call(tickets.list_tickets, request, wanted, open)
        return connection(
            page,
            SupportTicketNode.of,
            SupportTicketConnection,
            total=lambda: ctx.call(tickets.count_tickets, wanted, open),
        )

    @p.field("handoff:raise", "One support ticket by id; null when it does not exist or you may not see it.")
    async def ticket(self, info: Info, id: strawberry.ID) -> SupportTicketNode | None:
        found: SupportTicketNode | None = await info.context.loaders.ticket.load(ticket_uuid(id))
        return found

    @p.field("incident:read", "The branch's incidents, newest first unless `orderBy` says otherwise.")
    async def incidents(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        state: Annotated[IncidentState | None, strawberry.argument(description="Only open or closed ones.")] = None,
        order_by: Annotated[
            OrderDirection | None, strawberry.argument(description="By when they were declared: DESC (default) or ASC.")
        ] = None,
    ) -> IncidentConnection | None:
        ctx = info.context
        request = page_request(ctx.settings, first, after, last, before, direction=order_by or OrderDirection.DESC)
        wanted = rules.IncidentState(state.value) if state else None
        page = await ctx.call(tickets.list_incidents, request, wanted)
        return connection(
            page, IncidentNode.of, IncidentConnection, total=lambda: ctx.call(tickets.count_incidents, wanted)
        )
