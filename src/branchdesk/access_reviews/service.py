"""Access reviews (recertification) of a branch.

A campaign snapshots every role every member holds in the caller's branch. Reviewers confirm or
revoke each holding (never their own); closing the campaign applies the revocations through
:func:`branchdesk.rbac.service.set_roles`, so they are in the policy history and enforced at once.
"""

from __future__ import annotations

import csv
import io
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access_reviews import errors, repository
from branchdesk.access_reviews.models import AccessReview, AccessReviewItem, ReviewDecision, ReviewStatus
from branchdesk.access_reviews.permissions import ACCESS_REVIEW_MANAGE
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.platform.pagination import Page, PageRequest, count, keyset
from branchdesk.rbac import service as rbac
from branchdesk.tenants import service as tenants

PERMISSION = ACCESS_REVIEW_MANAGE


@dataclass(frozen=True)
class ReportRow:
    item: AccessReviewItem
    employee_number: str
    display_name: str
    decided_by_employee_number: str | None
    decided_by_name: str | None


@dataclass(frozen=True)
class Closed:
    review: AccessReview
    revoked: int  # roles taken away


def _not_found(field: str = "id") -> NotFound:
    return NotFound("Access review", "权限复核", field=field)


async def get_review(session: AsyncSession, by: Principal, review_id: uuid.UUID) -> AccessReview:
    by.require(PERMISSION)
    review = await repository.review(session, by.branch_id, review_id)
    if review is None:
        raise _not_found()
    return review


@dataclass(frozen=True)
class Counted:
    """A review with how many of its items carry each decision."""

    review: AccessReview
    tally: dict[ReviewDecision, int]


async def with_counts(session: AsyncSession, by: Principal, found: list[AccessReview]) -> list[Counted]:
    tallies = await repository.counts(session, by.branch_id, [r.id for r in found])
    return [Counted(r, tallies[r.id]) for r in found]


async def reviews_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Counted]:
    """Reviews of the principal's branch by id; none without the permission (as if they did not exist)."""
    if not by.can(PERMISSION):
        return []
    return await with_counts(session, by, await repository.reviews_by_id(session, by.branch_id, ids))


async def review_counted(session: AsyncSession, by: Principal, review_id: uuid.UUID) -> Counted | None:
    try:
        found = await get_review(session, by, review_id)
    except NotFound:
        return None
    return (await with_counts(session, by, [found]))[0]


async def list_reviews(
    session: AsyncSession, by: Principal, page: PageRequest, status: ReviewStatus | None = None
) -> Page[Counted]:
    by.require(PERMISSION)
    stmt = repository.reviews_query(by.branch_id, status)
    key = (AccessReview.opened_at, AccessReview.id)  # oldest first unless ``page`` is descending
    found = await keyset(session, stmt, key, page, lambda review: review)
    return found.with_items(await with_counts(session, by, [review for _, review in found.entries]))


async def count_reviews(session: AsyncSession, by: Principal, status: ReviewStatus | None = None) -> int:
    by.require(PERMISSION)
    return await count(session, repository.reviews_query(by.branch_id, status))


async def list_items(
    session: AsyncSession,
    by: Principal,
    review_id: uuid.UUID,
    page: PageRequest,
    decision: ReviewDecision | None = None,
) -> Page[ReportRow]:
    by.require(PERMISSION)
    stmt = repository.items_query(by.branch_id, review_id, decision)
    key = repository.ITEM_ORDERS[page.order_by or "listed"]
    return await keyset(session, stmt, key, page, lambda row: ReportRow(*row))


async def counts(
    session: AsyncSession, by: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[ReviewDecision, int]]:
    by.require(PERMISSION)
    return await repository.counts(session, by.branch_id, ids)


async def open_review(session: AsyncSession, by: Principal, name: str, due_on: date | None = None) -> AccessReview:
    """Open a campaign in the caller's branch with one pending item per member and role held now."""
    by.require(PERMISSION)
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise DomainError(errors.REVIEW_NAME, field="name")
    review = AccessReview(
        tenant_id=by.branch_id,
        name=name,
        status=ReviewStatus.OPEN,
        opened_by=by.staff_id,
        opened_at=utcnow(),
        due_on=due_on,
    )
    session.add(review)
    await session.flush()
    items = [
        AccessReviewItem(
            tenant_id=by.branch_id, review_id=review.id, staff_id=staff_id, role=role, decision=ReviewDecision.PENDING
        )
        for staff_id, roles in await repository.holdings(session, by.branch_id)
        for role in sorted(set(roles))
    ]
    session.add_all(items)
    await session.flush()
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "access_review.opened",
        "access_review",
        review.id,
        {"name": name, "due_on": due_on.isoformat() if due_on else None, "items": len(items)},
    )
    return review


async def decide(
    session: AsyncSession, by: Principal, item_id: uuid.UUID, decision: ReviewDecision, note: str | None = None
) -> AccessReviewItem:
    """Confirm or revoke one holding; a decision can be changed until the campaign closes."""
    by.require(PERMISSION)
    if decision is ReviewDecision.PENDING:
        raise DomainError(errors.REVIEW_DECISION, field="decision")
    note = (note or "").strip() or None
    if note is not None and len(note) > 500:
        raise DomainError(errors.REVIEW_NOTE, field="note")
    item = await repository.item(session, by.branch_id, item_id)
    if item is None:
        raise NotFound("Access review item", "权限复核项", field="itemId")
    # Locking the campaign serialises decisions with its closing.
    review = await repository.review(session, by.branch_id, item.review_id, for_update=True)
    assert review is not None
    if review.status is ReviewStatus.CLOSED:
        raise DomainError(errors.REVIEW_CLOSED, field="itemId", name=review.name)
    if by.staff_id is None:
        raise DomainError(errors.REVIEW_REVIEWER, field="itemId")
    if item.staff_id == by.staff_id:
        raise DomainError(errors.REVIEW_SELF, field="itemId")
    previous = item.decision
    item.decision, item.decided_by, item.decided_at, item.note = decision, by.staff_id, utcnow(), note
    await session.flush()
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "access_review.item_decided",
        "access_review_item",
        item.id,
        {
            "review_id": str(review.id),
            "staff_id": str(item.staff_id),
            "role": item.role,
            "decision": decision.value,
            "previous": previous.value,
            "note": note,
        },
    )
    return item


async def close_review(session: AsyncSession, by: Principal, review_id: uuid.UUID) -> Closed:
    """Close a fully decided campaign and take away every revoked role."""
    by.require(PERMISSION)
    review = await repository.review(session, by.branch_id, review_id, for_update=True)
    if review is None:
        raise _not_found()
    if review.status is ReviewStatus.CLOSED:
        raise DomainError(errors.REVIEW_CLOSED, field="id", name=review.name)
    tally = (await repository.counts(session, by.branch_id, [review.id]))[review.id]
    if tally[ReviewDecision.PENDING]:
        raise DomainError(
            errors.REVIEW_PENDING, field="id", pending=tally[ReviewDecision.PENDING], total=sum(tally.values())
        )
    revocations: dict[uuid.UUID, set[str]] = defaultdict(set)
    for staff_id, role in await repository.revoked(session, by.branch_id, review.id):
        revocations[staff_id].add(role)
    taken = 0
    for staff_id, roles in revocations.items():
        membership = await tenants.membership(session, by.branch_id, staff_id)
        if membership is None:
            continue  # left the branch since the campaign opened: nothing left to take away
        remaining = [r for r in membership.roles if r not in roles]
        taken += len(membership.roles) - len(remaining)
        await rbac.set_roles(session, by, staff_id, remaining, reason=f"access review: {review.name}"[:500])
    review.status, review.closed_by, review.closed_at = ReviewStatus.CLOSED, by.staff_id, utcnow()
    await session.flush()
    await audit.record(
        session,
        by.branch_id,
        by.author,
        "access_review.closed",
        "access_review",
        review.id,
        {
            "confirmed": tally[ReviewDecision.CONFIRMED],
            "revoked": tally[ReviewDecision.REVOKED],
            "revocations": [{"staff_id": str(s), "roles": sorted(r)} for s, r in revocations.items()],
        },
    )
    return Closed(review, taken)


async def report(session: AsyncSession, by: Principal, review_id: uuid.UUID) -> list[ReportRow]:
    """Every item of the campaign with its decision, by employee number and role."""
    review = await get_review(session, by, review_id)
    return [ReportRow(*row) for row in await repository.report(session, by.branch_id, review.id)]


async def items_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[ReportRow]:
    if not by.can(PERMISSION):
        return []
    return [ReportRow(*row) for row in await repository.report_items(session, by.branch_id, ids)]


# --- CSV -----------------------------------------------------------------------------------------

_HEADER = {
    "en": ("Employee number", "Name", "Role", "Decision", "Decided by", "Decided at ({zone})", "Note"),
    "zh": ("员工号", "姓名", "角色", "复核结论", "复核人", "复核时间（{zone}）", "备注"),
}
_DECISION = {
    ReviewDecision.PENDING: ("pending", "待复核"),
    ReviewDecision.CONFIRMED: ("confirmed", "保留"),
    ReviewDecision.REVOKED: ("revoked", "撤销"),
}


def _cell(value: str | None) -> str:
    """Text a spreadsheet would run as a formula is written as text."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value or ""


def _local(moment: datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


async def export_csv(session: AsyncSession, by: Principal, review_id: uuid.UUID, locale: str = "en") -> str:
    """The report as CSV: UTF-8 with a byte-order mark (Excel then reads Chinese names), times in the
    branch's time zone. The export is audited."""
    rows = await report(session, by, review_id)
    branch = await tenants.branch_by_id(session, by.branch_id)
    zone = zoneinfo.ZoneInfo(branch.timezone)
    zh = locale.lower().startswith("zh")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([h.format(zone=branch.timezone) for h in _HEADER["zh" if zh else "en"]])
    for row in rows:
        reviewer = " ".join(p for p in (row.decided_by_employee_number, row.decided_by_name) if p)
        writer.writerow(
            [
                _cell(row.employee_number),
                _cell(row.display_name),
                _cell(row.item.role),
                _DECISION[row.item.decision][1 if zh else 0],
                _cell(reviewer),
                _local(row.item.decided_at, zone),
                _cell(row.item.note),
            ]
        )
    await audit.record(
        session, by.branch_id, by.author, "access_review.exported", "access_review", review_id, {"rows": len(rows)}
    )
    return "\ufeff" + out.getvalue()
