"""All SQL of access reviews."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from branchdesk.access_reviews.models import AccessReview, AccessReviewItem, ReviewDecision, ReviewStatus
from branchdesk.platform.clock import utcnow
from branchdesk.platform.pagination import Key
from branchdesk.tenants.models import Membership, Staff

Reviewer = aliased(Staff, name="reviewer")


async def holdings(session: AsyncSession, branch_id: uuid.UUID) -> list[tuple[uuid.UUID, list[str]]]:
    """Every member of the branch with the roles they hold, by employee number (a cover that has ended
    is no longer held; one still to start is, and is reviewed)."""
    rows = await session.execute(
        select(Membership.staff_id, Membership.roles)
        .join(Staff, Staff.id == Membership.staff_id)
        .where(Membership.tenant_id == branch_id, or_(Membership.ends_at.is_(None), Membership.ends_at > utcnow()))
        .order_by(Staff.employee_number)
    )
    return [(staff_id, list(roles)) for staff_id, roles in rows]


def reviews_query(branch_id: uuid.UUID, status: ReviewStatus | None = None) -> Select[AccessReview]:
    stmt = select(AccessReview).where(AccessReview.tenant_id == branch_id)
    return stmt if status is None else stmt.where(AccessReview.status == status)


async def review(
    session: AsyncSession, branch_id: uuid.UUID, review_id: uuid.UUID, *, for_update: bool = False
) -> AccessReview | None:
    stmt = reviews_query(branch_id).where(AccessReview.id == review_id)
    found: AccessReview | None = await session.scalar(stmt.with_for_update() if for_update else stmt)
    return found


async def reviews_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[AccessReview]:
    return list(await session.scalars(reviews_query(branch_id).where(AccessReview.id.in_(ids))))


async def item(session: AsyncSession, branch_id: uuid.UUID, item_id: uuid.UUID) -> AccessReviewItem | None:
    return await session.scalar(
        select(AccessReviewItem).where(AccessReviewItem.tenant_id == branch_id, AccessReviewItem.id == item_id)
    )


async def counts(
    session: AsyncSession, branch_id: uuid.UUID, review_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[ReviewDecision, int]]:
    """Items per decision of each review: one grouped query for all of them."""
    found: dict[uuid.UUID, dict[ReviewDecision, int]] = {i: dict.fromkeys(ReviewDecision, 0) for i in review_ids}
    if not review_ids:
        return found
    rows = await session.execute(
        select(AccessReviewItem.review_id, AccessReviewItem.decision, func.count())
        .where(AccessReviewItem.tenant_id == branch_id, AccessReviewItem.review_id.in_(review_ids))
        .group_by(AccessReviewItem.review_id, AccessReviewItem.decision)
    )
    for review_id, decision, count in rows:
        found[review_id][decision] = count
    return found


def report_query(branch_id: uuid.UUID) -> Select[AccessReviewItem, str, str, str | None, str | None]:
    """Items with who they are about and who decided them (a reviewer may since have left the branch)."""
    return (
        select(
            AccessReviewItem,
            Staff.employee_number,
            Staff.display_name,
            Reviewer.employee_number,
            Reviewer.display_name,
        )
        .join(Staff, Staff.id == AccessReviewItem.staff_id)
        .outerjoin(Reviewer, Reviewer.id == AccessReviewItem.decided_by)
        .where(AccessReviewItem.tenant_id == branch_id)
    )


def items_query(
    branch_id: uuid.UUID, review_id: uuid.UUID, decision: ReviewDecision | None = None
) -> Select[AccessReviewItem, str, str, str | None, str | None]:
    stmt = report_query(branch_id).where(AccessReviewItem.review_id == review_id)
    return stmt if decision is None else stmt.where(AccessReviewItem.decision == decision)


# The sort keys of items_query's rows. A review holds one item per member and role, so a member's
# number and a role name make a unique key.
ITEM_ORDERS: dict[str, Key] = {
    "listed": AccessReviewItem.id,  # as listed when the review opened
    "employee_number": (Staff.employee_number, AccessReviewItem.role),
    "display_name": (Staff.display_name, Staff.employee_number, AccessReviewItem.role),
    "role": (AccessReviewItem.role, Staff.employee_number),
}


async def report(
    session: AsyncSession, branch_id: uuid.UUID, review_id: uuid.UUID
) -> list[tuple[AccessReviewItem, str, str, str | None, str | None]]:
    stmt = items_query(branch_id, review_id).order_by(Staff.employee_number, AccessReviewItem.role)
    return [tuple(row) for row in await session.execute(stmt)]  # type: ignore[misc]


async def report_items(
    session: AsyncSession, branch_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> list[tuple[AccessReviewItem, str, str, str | None, str | None]]:
    stmt = report_query(branch_id).where(AccessReviewItem.id.in_(item_ids))
    return [tuple(row) for row in await session.execute(stmt)]  # type: ignore[misc]


async def revoked(session: AsyncSession, branch_id: uuid.UUID, review_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    rows = await session.execute(
        select(AccessReviewItem.staff_id, AccessReviewItem.role).where(
            AccessReviewItem.tenant_id == branch_id,
            AccessReviewItem.review_id == review_id,
            AccessReviewItem.decision == ReviewDecision.REVOKED,
        )
    )
    return [(staff_id, role) for staff_id, role in rows]
