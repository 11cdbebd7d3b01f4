from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.queries import client_uuid
from branchdesk.graphql.handoffs.types import (
    SUBJECT_TYPES,
    CommentConnection,
    CommentNode,
    CommentSubject,
    HandoffConnection,
    HandoffFilter,
    HandoffNode,
    HandoffOrder,
    HandoffTypeInfo,
)
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.relay import Before, Cursor, First, Last, OrderDirection, connection, page_request
from branchdesk.handoffs import comments, rules
from branchdesk.handoffs import service as handoffs
from branchdesk.platform.errors import NotFound


def handoff_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "Handoff", NotFound("Handoff", "协作事项", field=field))


def subject_uuid(kind: rules.SubjectType, global_id: strawberry.ID | str, field: str = "subjectId") -> uuid.UUID:
    en, zh = rules.LABELS[rules.SubjectType][kind.value]
    return node_uuid(global_id, SUBJECT_TYPES[kind], NotFound(en, zh, field=field))


def filters_of(given: HandoffFilter | None) -> handoffs.HandoffFilters:
    if given is None:
        return handoffs.HandoffFilters()
    return handoffs.HandoffFilters(
        mine=given.mine,
        raised_by_me=given.raised_by_me,
        role_queue=given.role_queue,
        state=rules.HandoffState(given.state.value) if given.state else None,
        type=given.type,
        overdue=given.overdue,
        client_id=client_uuid(given.client_id, "clientId") if given.client_id is not None else None,
        open_only=given.open,
    )


@strawberry.type
class Queries:
    @p.field(
        "handoff:raise",
        "Handoffs of the active branch you may see (what you raised, what is assigned to you, your roles' queues; "
        "all of them with `handoff:read`), newest first unless `orderBy` says otherwise.",
    )
    async def handoffs(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            HandoffFilter | None, strawberry.argument(description="Which handoffs; all conditions hold.")
        ] = None,
        order_by: HandoffOrder | None = None,
    ) -> HandoffConnection | None:
        ctx = info.context
        order = order_by or HandoffOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        wanted = filters_of(filter)
        page = await ctx.call(handoffs.list_handoffs, request, wanted)
        return connection(
            page, HandoffNode.of, HandoffConnection, total=lambda: ctx.call(handoffs.count_handoffs, wanted)
        )

    @p.field("handoff:raise", "One handoff by id; null when it does not exist or you may not see it.")
    async def handoff(self, info: Info, id: strawberry.ID) -> HandoffNode | None:
        found: HandoffNode | None = await info.context.loaders.handoff.load(handoff_uuid(id))
        return found

    @p.field(p.SIGNED_IN, "The head-office list of handoff types, by code, with their SLA and target role.")
    async def handoff_types(self, info: Info) -> list[HandoffTypeInfo] | None:
        found = await info.context.call(handoffs.handoff_types)
        return [HandoffTypeInfo.of(t, info.context.locale) for t in found]

    @p.field(
        "comment:write",
        "The comments on a handoff, a client or a ticket you may see, oldest first (`orderBy` not offered: a "
        "thread reads in order; `last` reads its end).",
    )
    async def comments(
        self,
        info: Info,
        subject_type: Annotated[CommentSubject, strawberry.argument(description="What they are about.")],
        subject_id: Annotated[strawberry.ID, strawberry.argument(description="The handoff, client or ticket.")],
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
    ) -> CommentConnection | None:
        ctx = info.context
        kind = rules.SubjectType(subject_type.value)
        subject = subject_uuid(kind, subject_id)
        request = page_request(ctx.settings, first, after, last, before, direction=OrderDirection.ASC)
        page = await ctx.call(comments.list_comments, kind, subject, request)
        return connection(
            page, CommentNode.of, CommentConnection, total=lambda: ctx.call(comments.count_comments, kind, subject)
        )
