from __future__ import annotations

import uuid
from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.access_reviews import service as reviews
from branchdesk.graphql import permissions as p
from branchdesk.graphql.access_reviews.types import AccessReview, AccessReviewDecision, AccessReviewItem
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.inputs import text
from branchdesk.platform.errors import NotFound


@strawberry.input
class OpenAccessReviewInput:
    name: str = text("For example “2026 Q4 recertification”.", max_length=200)
    due_on: date | None = strawberry.field(default=None, description="When reviewers should be done.")


@strawberry.input
class DecideAccessReviewItemInput:
    item_id: strawberry.ID
    decision: AccessReviewDecision = strawberry.field(description="CONFIRMED or REVOKED.")
    note: str | None = text("Why; shown in the report.", max_length=500, default=None)


@strawberry.input
class CloseAccessReviewInput:
    id: strawberry.ID


@payload
class AccessReviewPayload:
    access_review: AccessReview | None = None


async def _review_now(root: DecideAccessReviewItemPayload, info: Info) -> AccessReview | None:
    """The item's review with its counts after the decision (read only when asked for)."""
    if root.review_id is None:
        return None
    found = await info.context.call(reviews.review_counted, root.review_id)
    return AccessReview.of(found) if found else None


@payload
class DecideAccessReviewItemPayload:
    item: AccessReviewItem | None = None
    access_review: AccessReview | None = strawberry.field(
        resolver=_review_now, description="The item's review, its counts updated by the decision."
    )
    review_id: strawberry.Private[uuid.UUID | None] = None


@payload
class CloseAccessReviewPayload:
    access_review: AccessReview | None = None
    revoked_roles: int | None = strawberry.field(default=None, description="Roles taken away on closing.")


@strawberry.type
class Mutations:
    @p.mutation(
        "access_review:manage",
        "Open an access review of the active branch: one pending item for every role every member holds now.",
    )
    async def open_access_review(self, info: Info, input: OpenAccessReviewInput) -> AccessReviewPayload:
        async def open_(session: AsyncSession, by: Principal) -> dict[str, object]:
            review = await reviews.open_review(session, by, input.name, input.due_on)
            return {"access_review": AccessReview.of((await reviews.with_counts(session, by, [review]))[0])}

        return await mutate(info, AccessReviewPayload, open_)

    @p.mutation(
        "access_review:manage",
        "Confirm or revoke one item of an open access review; never one about yourself. A revocation takes "
        "effect when the review closes.",
    )
    async def decide_access_review_item(
        self, info: Info, input: DecideAccessReviewItemInput
    ) -> DecideAccessReviewItemPayload:
        async def decide(session: AsyncSession, by: Principal) -> dict[str, object]:
            item_id = node_uuid(
                input.item_id, "AccessReviewItem", NotFound("Access review item", "权限复核项", field="itemId")
            )
            item = await reviews.decide(session, by, item_id, input.decision, input.note)
            return {
                "item": AccessReviewItem.from_row((await reviews.items_by_id(session, by, [item.id]))[0]),
                "review_id": item.review_id,
            }

        return await mutate(info, DecideAccessReviewItemPayload, decide)

    @p.mutation(
        "access_review:manage",
        "Close an access review once every item is decided; revoked roles are taken away (recorded in the policy "
        "history) and stop working at once.",
    )
    async def close_access_review(self, info: Info, input: CloseAccessReviewInput) -> CloseAccessReviewPayload:
        async def close(session: AsyncSession, by: Principal) -> dict[str, object]:
            review_id = node_uuid(input.id, "AccessReview", NotFound("Access review", "权限复核", field="id"))
            closed = await reviews.close_review(session, by, review_id)
            counted = (await reviews.with_counts(session, by, [closed.review]))[0]
            return {"access_review": AccessReview.of(counted), "revoked_roles": closed.revoked}

        return await mutate(info, CloseAccessReviewPayload, close)
