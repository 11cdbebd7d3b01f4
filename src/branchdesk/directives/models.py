"""A directive is head office's, one row for every branch it reaches (platform-wide, never edited once
published); what each branch does with it — its delivery, its staff's attestations, its questions — is
the branch's own (tenant-owned, isolated by row-level security)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ARRAY, CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args
from branchdesk.platform.ids import new_id


class DirectiveCategory(enum.StrEnum):
    POLICY = "policy"
    COMPLIANCE = "compliance"
    RISK = "risk"
    OPERATIONS = "operations"
    PRODUCT = "product"
    SERVICE = "service"


class DirectiveTarget(enum.StrEnum):
    ALL = "all"  # every branch below head office, including those onboarded later
    LEVEL = "level"  # every branch of one level
    REGION = "region"  # a branch and every branch under it, as they stood when it was published
    LIST = "list"  # the branches named


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


class Directive(Timestamped, Base):
    """One version of a directive. A correction is a new row (``supersedes_id``), never an edit: the
    old one only gains ``superseded_at``."""

    __tablename__ = "directives"
    __table_args__ = (
        UniqueConstraint("series_id", "version"),
        CheckConstraint("cardinality(roles) > 0", name="roles_named"),
        Index("ix_directives_published_at", "published_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    series_id: Mapped[uuid.UUID]  # the first version's id, shared by every version
    version: Mapped[int]
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("directives.id"), unique=True)
    superseded_at: Mapped[datetime | None]
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[str]] = mapped_column(ARRAY(String(500)), default=list)
    category: Mapped[DirectiveCategory] = mapped_column(_enum(DirectiveCategory, "directive_category"))
    effective_on: Mapped[date]
    deadline: Mapped[datetime]
    target: Mapped[DirectiveTarget] = mapped_column(_enum(DirectiveTarget, "directive_target"))
    target_level: Mapped[str | None] = mapped_column(String(20))
    target_region_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    # LIST: the branches named; REGION: the region's branches when it was published
    target_branch_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(50)))  # who must attest, in each branch
    published_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    published_at: Mapped[datetime]


class DirectiveDelivery(TenantOwned, Base):
    """A directive reached the branch (its staff were told); the reminder before the deadline and the
    escalation after it, each sent once."""

    __tablename__ = "directive_deliveries"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "directive_id"))

    directive_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directives.id"))
    delivered_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]


class DirectiveAttestation(TenantOwned, Base):
    """A member of staff read and understood a directive: recorded once, never changed; after the
    deadline it is recorded as late, not refused."""

    __tablename__ = "directive_attestations"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "directive_id", "staff_id"))

    directive_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directives.id"))
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    attested_at: Mapped[datetime]
    late: Mapped[bool]


class DirectiveQuestion(TenantOwned, Base):
    """A branch's question about a directive, and head office's answer (a thread head office sees)."""

    __tablename__ = "directive_questions"
    __table_args__ = tenant_table_args(Index("ix_directive_questions_directive_id", "tenant_id", "directive_id"))

    directive_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directives.id"))
    asked_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    question: Mapped[str] = mapped_column(String(2000))
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(2000))
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    answered_at: Mapped[datetime | None]
