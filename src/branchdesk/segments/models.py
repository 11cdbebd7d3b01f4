"""Value tiers and the scoring policy (head office, platform-wide), a branch's own tier thresholds, each
client's current score and its history, and rule segments with their materialised membership.

``client_scores`` is one row per client, keyed like the client itself (``id`` is the client's id), so the
current tier joins on ``(tenant_id, id)``. ``segment_members`` keeps one row per stay of a client in a
segment: ``left_at`` is null while they are in it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args
from branchdesk.platform.ids import new_id


class ValueTier(Timestamped, Base):
    """A tier of head office's ladder (普通 / 金卡 / 白金 / 私人银行): a client whose AUM reaches
    ``min_aum_cny`` is in it, unless a higher tier's threshold is reached too."""

    __tablename__ = "value_tiers"
    __table_args__ = (
        CheckConstraint("min_aum_cny >= 0", name="threshold_not_negative"),
        UniqueConstraint("rank"),
    )

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    rank: Mapped[int] = mapped_column(SmallInteger, comment="0 for the lowest tier, higher is more valuable")
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50))
    min_aum_cny: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    updated_at: Mapped[datetime | None]


class ScoringPolicy(Base):
    """Head office's rules for lifecycle stages: one row."""

    __tablename__ = "scoring_policy"
    __table_args__ = (
        CheckConstraint("id = 1", name="one_row"),
        CheckConstraint("dormant_months BETWEEN 1 AND 60 AND new_months BETWEEN 1 AND 24", name="months"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    dormant_months: Mapped[int] = mapped_column(
        SmallInteger, comment="no interaction and no holding movement for this long: dormant"
    )
    new_months: Mapped[int] = mapped_column(SmallInteger, comment="a client recorded this recently is new")
    updated_at: Mapped[datetime | None]


class BranchTierThreshold(TenantOwned, Timestamped, Base):
    """A branch's own threshold for one of head office's tiers (a wealthier city sets 白金 higher)."""

    __tablename__ = "branch_tier_thresholds"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "tier_code"),
        CheckConstraint("min_aum_cny >= 0", name="threshold_not_negative"),
    )

    tier_code: Mapped[str] = mapped_column(ForeignKey("value_tiers.code", ondelete="CASCADE"))
    min_aum_cny: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    set_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))


class ClientScore(TenantOwned, Base):
    """A client's tier, RFM quintiles (1 to 5 within the branch) and lifecycle stage, as the last scoring
    run found them. ``id`` is the client's id."""

    __tablename__ = "client_scores"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "id"], ["clients.tenant_id", "clients.id"], ondelete="CASCADE"),
        Index("ix_client_scores_tenant_id_tier_id", "tenant_id", "tier", "id"),
        CheckConstraint(
            "recency BETWEEN 1 AND 5 AND frequency BETWEEN 1 AND 5 AND monetary BETWEEN 1 AND 5", name="quintiles"
        ),
    )

    tier: Mapped[str] = mapped_column(String(30))
    recency: Mapped[int] = mapped_column(SmallInteger)
    frequency: Mapped[int] = mapped_column(SmallInteger)
    monetary: Mapped[int] = mapped_column(SmallInteger)
    lifecycle: Mapped[str] = mapped_column(String(20))  # crm.rules.LifecycleStage
    last_activity_at: Mapped[datetime | None]
    interactions_12m: Mapped[int] = mapped_column(Integer)
    aum_cny: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    scored_at: Mapped[datetime]


class ClientScoreChange(TenantOwned, Base):
    """One change of a client's tier or lifecycle stage: from, to, when and why (the run that found it)."""

    __tablename__ = "client_score_changes"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"], ondelete="CASCADE"),
        Index("ix_client_score_changes_tenant_id_kind_changed_at", "tenant_id", "kind", "changed_at", "id"),
        Index("ix_client_score_changes_tenant_id_client_id_changed_at", "tenant_id", "client_id", "changed_at"),
    )

    client_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20))  # rules.ChangeKind
    from_value: Mapped[str | None] = mapped_column(String(30))
    to_value: Mapped[str] = mapped_column(String(30))
    changed_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))


class SegmentTemplate(Timestamped, Base):
    """A segment head office publishes to every branch: each branch adopts it at its next scoring run."""

    __tablename__ = "segment_templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    rule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime]


class Segment(TenantOwned, Timestamped, Base):
    """A branch's rule segment: a filter tree over its clients, materialised by the scoring run."""

    __tablename__ = "segments"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "name"),
        Index("uq_segments_tenant_id_template_id", "tenant_id", "template_id", unique=True),
    )

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    rule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("segment_templates.id", ondelete="SET NULL"))
    template_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime]
    materialised_at: Mapped[datetime | None]
    member_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SegmentMember(TenantOwned, Base):
    """One stay of a client in a segment: entered when a run first found them matching, left when a
    later run no longer did (null while they are in it)."""

    __tablename__ = "segment_members"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "segment_id"], ["segments.tenant_id", "segments.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"], ondelete="CASCADE"),
        # The current members of a segment, paged by index; at most one open stay per client.
        Index(
            "uq_segment_members_current",
            "tenant_id",
            "segment_id",
            "client_id",
            unique=True,
            postgresql_where=text("left_at IS NULL"),
        ),
        Index(
            "ix_segment_members_current_entered",
            "tenant_id",
            "segment_id",
            "entered_at",
            "id",
            postgresql_where=text("left_at IS NULL"),
        ),
        Index("ix_segment_members_tenant_id_client_id", "tenant_id", "client_id"),
    )

    segment_id: Mapped[uuid.UUID]
    client_id: Mapped[uuid.UUID]
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
