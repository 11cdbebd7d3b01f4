"""Access reviews (recertification): a campaign snapshots who holds which role in a branch, and a
reviewer confirms or revokes each holding. Revocations take effect when the campaign closes."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, tenant_table_args


class ReviewStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ReviewDecision(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REVOKED = "revoked"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


class AccessReview(TenantOwned, Base):
    """One recertification campaign of a branch."""

    __tablename__ = "access_reviews"

    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus, "access_review_status"), default=ReviewStatus.OPEN)
    opened_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    opened_at: Mapped[datetime]
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None]
    due_on: Mapped[date | None]


class AccessReviewItem(TenantOwned, Base):
    """One role held by one member when the campaign opened, and the reviewer's decision about it."""

    __tablename__ = "access_review_items"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "review_id"], ["access_reviews.tenant_id", "access_reviews.id"]),
        UniqueConstraint("tenant_id", "review_id", "staff_id", "role"),
    )

    review_id: Mapped[uuid.UUID]
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    role: Mapped[str] = mapped_column(String(50))
    decision: Mapped[ReviewDecision] = mapped_column(
        _enum(ReviewDecision, "access_review_decision"), default=ReviewDecision.PENDING
    )
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(500))
