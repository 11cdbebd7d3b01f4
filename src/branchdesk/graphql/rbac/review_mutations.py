from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import UserError, run_mutation
from branchdesk.graphql.rbac.ids import node_uuid
from branchdesk.graphql.rbac.review_types import AccessReview, AccessReviewDecision, AccessReviewItem, with_counts
from branchdesk.platform.errors import NotFound
from branchdesk.rbac import reviews


@strawberry.input
class OpenAccessReviewInput:
    name: str = strawberry.field(description="For example “2026 Q4 recertification”.")
    due_on: date | None = strawberry.field(default=None, description="When reviewers should be done.")


@strawberry.input
class DecideAccessReviewItemInput:
    item_id: strawberry.ID
    decision: AccessReviewDecision = strawberry.field(description="CONFIRMED or REVOKED.")  # type: ignore[valid-type]
    note: str | None = strawberry.field(default=None, description="Why; shown in the report (at most 500 characters).")


@strawberry.input
class CloseAccessReviewInput:
    id: strawberry.ID


@strawberry.type
class AccessReviewPayload:
    access_review: AccessReview | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DecideAccessReviewItemPayload:
    item: AccessReviewItem | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CloseAccessReviewPayload:
    access_review: AccessReview | None = None
    revoked_roles: int | None = strawberry.field(default=None, description="Roles taken away on closing.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AccessReviewMutations:
    @p.mutation(
        "access_review:manage",
        "Open an access review of the active branch: one pending item for every role every member holds now.",
    )
    async def open_access_review(self, info: Info, input: OpenAccessReviewInput) -> AccessReviewPayload:
        principal = await info.context.principal()

        async def open_(session):  # noqa: ANN001, ANN202
            review = await reviews.open_review(session, principal, input.name, input.due_on)
            return (await with_counts(session, principal, [review]))[0]

        review, errors = await run_mutation(info, open_)
        return AccessReviewPayload(access_review=review, errors=errors)

    @p.mutation(
        "access_review:manage",
        "Confirm or revoke one item of an open access review; never one about yourself. A revocation takes "
        "effect when the review closes.",
    )
    async def decide_access_review_item(self, info: Info, input: DecideAccessReviewItemInput) -> DecideAccessReviewItemPayload:
        principal = await info.context.principal()

        async def decide(session):  # noqa: ANN001, ANN202
            item_id = node_uuid(input.item_id, "AccessReviewItem", NotFound("Access review item", "权限复核项", field="itemId"))
            item = await reviews.decide(session, principal, item_id, input.decision, input.note)
            return AccessReviewItem.from_row((await reviews.items_by_id(session, principal, [item.id]))[0])

        item, errors = await run_mutation(info, decide)
        return DecideAccessReviewItemPayload(item=item, errors=errors)

    @p.mutation(
        "access_review:manage",
        "Close an access review once every item is decided; revoked roles are taken away (recorded in the policy "
        "history) and stop working at once.",
    )
    async def close_access_review(self, info: Info, input: CloseAccessReviewInput) -> CloseAccessReviewPayload:
        principal = await info.context.principal()

        async def close(session):  # noqa: ANN001, ANN202
            review_id = node_uuid(input.id, "AccessReview", NotFound("Access review", "权限复核", field="id"))
            closed = await reviews.close_review(session, principal, review_id)
            return (await with_counts(session, principal, [closed.review]))[0], closed.revoked

        result, errors = await run_mutation(info, close)
        if result is None:
            return CloseAccessReviewPayload(errors=errors)
        return CloseAccessReviewPayload(access_review=result[0], revoked_roles=result[1])
