"""GraphQL types of access reviews: the campaign, its items and their decisions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.access_reviews import models
from branchdesk.access_reviews import service as reviews
from branchdesk.graphql.labels import graphql_enum, label, role_label
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import (
    Before,
    CountedConnection,
    Cursor,
    First,
    Last,
    OrderDirection,
    connection,
    page_request,
)
from branchdesk.graphql.tenants.types import StaffMember, member_or_none
from branchdesk.graphql.vocabulary import RoleInfo

AccessReviewStatus = graphql_enum(
    models.ReviewStatus, "AccessReviewStatus", "Whether an access review still takes decisions."
)
AccessReviewDecision = graphql_enum(
    models.ReviewDecision, "AccessReviewDecision", "A reviewer's decision about one role held."
)


@strawberry.type(description="How many items of an access review carry each decision.")
class AccessReviewCounts:
    pending: int = strawberry.field(description="Items not decided yet.")
    confirmed: int = strawberry.field(description="Items whose role is kept.")
    revoked: int = strawberry.field(description="Items whose role is taken away when the review closes.")

    @strawberry.field(description="All items.")
    def total(self) -> int:
        return self.pending + self.confirmed + self.revoked


@strawberry.type(
    name="AccessReviewItem",
    description="One role one member held when the review opened, and the reviewer's decision about it.",
)
class AccessReviewItem(LoadedNode):
    node_loader = "access_review_item"
    id: relay.NodeID[str]
    employee_number: str = strawberry.field(
        description="Employee number of the member under review (kept after they leave)."
    )
    display_name: str = strawberry.field(description="Name of the member under review (kept after they leave).")
    role: str = strawberry.field(description="The role under review.")
    decision: AccessReviewDecision = strawberry.field(description="Keep or take away the role, or not decided yet.")  # type: ignore[valid-type]
    decided_at: datetime | None = strawberry.field(description="When it was decided; null while pending.")
    note: str | None = strawberry.field(description="The reviewer's note.")
    staff_id: strawberry.Private[uuid.UUID]
    decided_by_id: strawberry.Private[uuid.UUID | None]
    decided_by_label: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: reviews.ReportRow | tuple[Any, ...]) -> AccessReviewItem:
        row = row if isinstance(row, reviews.ReportRow) else reviews.ReportRow(*row)
        item = row.item
        reviewer = " ".join(p for p in (row.decided_by_employee_number, row.decided_by_name) if p) or None
        return cls(
            id=str(item.id),
            employee_number=row.employee_number,
            display_name=row.display_name,
            role=item.role,
            decision=item.decision,
            decided_at=item.decided_at,
            note=item.note,
            staff_id=item.staff_id,
            decided_by_id=item.decided_by,
            decided_by_label=reviewer,
        )

    @strawberry.field(description="The role in the caller's language (its name when it is a branch's own role).")
    def role_label(self, info: Info) -> str:
        return role_label(self.role, info.context.locale)

    @strawberry.field(description="The role under review, as the policy views show roles: name and label.")
    def role_info(self) -> RoleInfo:
        return RoleInfo(name=self.role)

    @strawberry.field(description="The decision in the caller's language.")
    def decision_label(self, info: Info) -> str:
        return label(self.decision, info.context.locale)

    @strawberry.field(description="The member under review; null once they have left the branch.")
    async def staff(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.staff_id)

    @strawberry.field(description="Who decided, as employee number and name (kept after they leave the branch).")
    def decided_by_name(self) -> str | None:
        return self.decided_by_label

    @strawberry.field(description="Who decided; null while pending or once they have left the branch.")
    async def decided_by(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.decided_by_id)


@strawberry.type(name="AccessReviewItemConnection", description="A page of an access review's items.")
class AccessReviewItemConnection(CountedConnection[AccessReviewItem]):
    pass


@strawberry.enum(description="What an access review's items are sorted by.")
class AccessReviewItemOrderField(Enum):
    LISTED = strawberry.enum_value("listed", description="The order they were listed in when the review opened.")
    EMPLOYEE_NUMBER = strawberry.enum_value(
        "employee_number", description="The member's employee number, then the role (as in the CSV report)."
    )
    DISPLAY_NAME = strawberry.enum_value(
        "display_name", description="The member's name; ties broken by employee number, then role."
    )
    ROLE = strawberry.enum_value("role", description="The role's name; ties broken by employee number.")


@strawberry.input(
    description="How an access review's items are sorted: `{field: EMPLOYEE_NUMBER}` reads like the CSV report."
)
class AccessReviewItemOrder:
    field: AccessReviewItemOrderField = AccessReviewItemOrderField.LISTED
    direction: OrderDirection = OrderDirection.ASC


@strawberry.type(
    name="AccessReview", description="An access review (权限复核): who holds which role, confirmed or revoked."
)
class AccessReview(LoadedNode):
    node_loader = "access_review"
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The campaign's name, e.g. “2026 Q4 recertification”.")
    status: AccessReviewStatus = strawberry.field(  # type: ignore[valid-type]
        description="Open while items are decided; closed once its revocations took effect."
    )
    opened_at: datetime = strawberry.field(description="When it was opened.")
    closed_at: datetime | None = strawberry.field(description="When it was closed; null while open.")
    due_on: date | None = strawberry.field(description="When reviewers should be done.")
    opened_by_id: strawberry.Private[uuid.UUID | None]
    closed_by_id: strawberry.Private[uuid.UUID | None]
    tally: strawberry.Private[dict[models.ReviewDecision, int]]

    @classmethod
    def of(cls, counted: reviews.Counted) -> AccessReview:
        review = counted.review
        return cls(
            id=str(review.id),
            name=review.name,
            status=review.status,
            opened_at=review.opened_at,
            closed_at=review.closed_at,
            due_on=review.due_on,
            opened_by_id=review.opened_by,
            closed_by_id=review.closed_by,
            tally=counted.tally,
        )

    @strawberry.field(description="The status in the caller's language.")
    def status_label(self, info: Info) -> str:
        return label(self.status, info.context.locale)

    @strawberry.field(description="Who opened it; null once they have left the branch.")
    async def opened_by(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.opened_by_id)

    @strawberry.field(description="Who closed it; null while open or once they have left the branch.")
    async def closed_by(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.closed_by_id)

    @strawberry.field(description="Items by decision; closing needs `pending` to be 0.")
    def counts(self) -> AccessReviewCounts:
        d = models.ReviewDecision
        return AccessReviewCounts(
            pending=self.tally.get(d.PENDING, 0),
            confirmed=self.tally.get(d.CONFIRMED, 0),
            revoked=self.tally.get(d.REVOKED, 0),
        )

    @strawberry.field(
        description="The items, in the order they were listed when the review opened unless `orderBy` says otherwise."
    )
    async def items(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        decision: AccessReviewDecision | None = None,  # type: ignore[valid-type]
        last: Last = None,
        before: Before = None,
        order_by: AccessReviewItemOrder | None = None,
    ) -> AccessReviewItemConnection:
        ctx = info.context
        order = order_by or AccessReviewItemOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        page = await ctx.call(reviews.list_items, uuid.UUID(self.id), request, decision)
        tally = self.tally

        async def total() -> int:  # the review's counts already hold it: no statement
            return sum(tally.values()) if decision is None else tally.get(decision, 0)

        return connection(page, AccessReviewItem.from_row, AccessReviewItemConnection, total=total)

    @strawberry.field(
        description=(
            "The report as CSV (UTF-8 with a byte-order mark, so Excel shows Chinese names; headers in the "
            "caller's language; times in the branch's time zone): employee number, name, role, decision, "
            "decided by, decided at, note. Each export is audited. Also served at "
            "`GET /exports/access-reviews/{id}.csv` with the same headers."
        )
    )
    async def csv(self, info: Info) -> str:
        exported: str = await info.context.call(reviews.export_csv, uuid.UUID(self.id), info.context.locale)
        return exported


@strawberry.type(name="AccessReviewConnection", description="A page of access reviews.")
class AccessReviewConnection(CountedConnection[AccessReview]):
    pass


@strawberry.enum(description="What a list of access reviews is sorted by.")
class AccessReviewOrderField(Enum):
    OPENED_AT = strawberry.enum_value("opened_at", description="When the review was opened.")


@strawberry.input(description="How access reviews are sorted: `{field: OPENED_AT, direction: DESC}` is newest first.")
class AccessReviewOrder:
    field: AccessReviewOrderField = AccessReviewOrderField.OPENED_AT
    direction: OrderDirection = OrderDirection.ASC
