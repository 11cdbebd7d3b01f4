from __future__ import annotations

import strawberry
from strawberry.types import Info

from branchdesk.access_reviews import service as reviews
from branchdesk.graphql import permissions as p
from branchdesk.graphql.access_reviews.types import (
    AccessReview,
    AccessReviewConnection,
    AccessReviewOrder,
    AccessReviewStatus,
)
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.platform.errors import NotFound


@strawberry.type
class Queries:
    @p.field(
        "access_review:manage", "Access reviews of the active branch, oldest first unless `orderBy` says otherwise."
    )
    async def access_reviews(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        status: AccessReviewStatus | None = None,
        last: Last = None,
        before: Before = None,
        order_by: AccessReviewOrder | None = None,
    ) -> AccessReviewConnection | None:
        ctx = info.context
        order = order_by or AccessReviewOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        page = await ctx.call(reviews.list_reviews, request, status)
        return connection(
            page, AccessReview.of, AccessReviewConnection, total=lambda: ctx.call(reviews.count_reviews, status)
        )

    @p.field("access_review:manage", "One access review of the active branch; null for any other id.")
    async def access_review(self, info: Info, id: strawberry.ID) -> AccessReview | None:
        try:
            review_id = node_uuid(id, "AccessReview", NotFound("Access review"))
        except NotFound:
            return None
        found = await info.context.call(reviews.review_counted, review_id)
        return AccessReview.of(found) if found else None
