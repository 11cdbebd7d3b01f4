from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.rbac.ids import node_uuid
from branchdesk.graphql.rbac.review_types import AccessReview, AccessReviewStatus, with_counts
from branchdesk.graphql.relay import paginate
from branchdesk.platform.errors import NotFound
from branchdesk.rbac import reviews
from branchdesk.rbac import reviews_repository as repository
from branchdesk.rbac.reviews_models import AccessReview as AccessReviewModel


@strawberry.type
class AccessReviewQueries:
    @p.field("access_review:manage", "Access reviews of the active branch, oldest first.")
    async def access_reviews(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: AccessReviewStatus | None = None,  # type: ignore[valid-type]
    ) -> relay.Connection[AccessReview]:
        ctx = info.context
        principal = await ctx.principal()
        stmt = repository.reviews_query(principal.branch_id)
        if status is not None:
            stmt = stmt.where(AccessReviewModel.status == status)
        async with ctx.session() as session:
            page = await paginate(
                session, stmt, AccessReviewModel.id, settings=ctx.settings, first=first, after=after,
                to_node=lambda review: review, connection=relay.Connection[AccessReview],
            )
            nodes = await with_counts(session, principal, [edge.node for edge in page.edges])
        for edge, node in zip(page.edges, nodes, strict=True):
            edge.node = node
        return page

    @p.field("access_review:manage", "One access review of the active branch; null for any other id.")
    async def access_review(self, info: Info, id: strawberry.ID) -> AccessReview | None:
        ctx = info.context
        principal = await ctx.principal()
        try:
            review_id = node_uuid(id, "AccessReview", NotFound("Access review"))
            async with ctx.session() as session:
                found = await reviews.get_review(session, principal, review_id)
                return (await with_counts(session, principal, [found]))[0]
        except NotFound:
            return None
