from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.feedback import rules
from branchdesk.feedback import service as feedback
from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.queries import client_uuid
from branchdesk.graphql.feedback.types import (
    ComplaintSlaRule,
    FeedbackCategoryInfo,
    FeedbackConnection,
    FeedbackFilter,
    FeedbackNode,
    FeedbackOrder,
)
from branchdesk.graphql.ids import node_uuid, staff_uuid
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.platform.errors import NotFound


def feedback_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "Feedback", NotFound("Complaint", "投诉", field=field))


def filters_of(given: FeedbackFilter | None) -> feedback.FeedbackFilters:
    if given is None:
        return feedback.FeedbackFilters()
    return feedback.FeedbackFilters(
        kind=rules.FeedbackKind(given.kind.value) if given.kind else None,
        state=rules.ComplaintState(given.state.value) if given.state else None,
        category=given.category,
        breached=given.breached,
        assignee_id=staff_uuid(given.assignee_id, "assigneeId") if given.assignee_id is not None else None,
        client_id=client_uuid(given.client_id, "clientId") if given.client_id is not None else None,
    )


@strawberry.type
class Queries:
    @p.field(
        "feedback:read",
        "Client feedback and complaints of the active branch, newest first unless `orderBy` says otherwise.",
    )
    async def feedback(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            FeedbackFilter | None, strawberry.argument(description="Which feedback; all conditions hold.")
        ] = None,
        order_by: FeedbackOrder | None = None,
    ) -> FeedbackConnection | None:
        ctx = info.context
        order = order_by or FeedbackOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        wanted = filters_of(filter)
        page = await ctx.call(feedback.list_feedback, request, wanted)
        return connection(
            page, FeedbackNode.of, FeedbackConnection, total=lambda: ctx.call(feedback.count_feedback, wanted)
        )

    @p.field(p.SIGNED_IN, "The head-office list of feedback categories, by code.")
    async def feedback_categories(self, info: Info) -> list[FeedbackCategoryInfo] | None:
        found = await info.context.call(feedback.categories)
        return [FeedbackCategoryInfo.of(c, info.context.locale) for c in found]

    @p.field(
        "feedback:read",
        "Head office's complaint SLA table: per category (or `*` for every category) and severity, the business "
        "hours to acknowledge and business days to resolve. A category's own rule wins over `*`.",
    )
    async def complaint_slas(self, info: Info) -> list[ComplaintSlaRule] | None:
        return [ComplaintSlaRule.of(s) for s in await info.context.call(feedback.slas)]
