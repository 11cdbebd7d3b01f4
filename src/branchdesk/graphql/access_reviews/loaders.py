"""Batched reads of access reviews."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.access_reviews import service as reviews
from branchdesk.graphql.access_reviews.types import AccessReview, AccessReviewItem
from branchdesk.graphql.loaders import loader

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("access_review")
async def access_reviews(ctx: Context, ids: list[uuid.UUID]) -> list[AccessReview | None]:
    found = {c.review.id: c for c in await ctx.call(reviews.reviews_by_id, ids)}
    return [AccessReview.of(found[i]) if i in found else None for i in ids]


@loader("access_review_item")
async def access_review_items(ctx: Context, ids: list[uuid.UUID]) -> list[AccessReviewItem | None]:
    found = {row.item.id: row for row in await ctx.call(reviews.items_by_id, ids)}
    return [AccessReviewItem.from_row(found[i]) if i in found else None for i in ids]
