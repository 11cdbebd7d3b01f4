"""Handoffs (work passed from one person or role to another), head office's list of handoff types, SLA
escalations, and comments on handoffs, clients and tickets.

A handoff's deadlines are computed in the branch's business hours when it is raised and stored
(``due_at``, ``expires_at``), so a breach or an expiry is a query on an index, not a delayed job.
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
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args
from branchdesk.platform.ids import new_id

OPEN_STATES = "state IN ('submitted', 'accepted', 'in_progress')"


class HandoffType(Timestamped, Base):
    """A type of the head-office list (referral, IT help, risk review…) with its default SLA and target."""

    __tablename__ = "handoff_types"
    __table_args__ = (
        CheckConstraint("sla_hours > 0 AND (expire_hours IS NULL OR expire_hours >= sla_hours)", name="hours"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    target_role: Mapped[str] = mapped_column(String(50))
    sla_hours: Mapped[int] = mapped_column(SmallInteger, comment="business hours to finish")
    expire_hours: Mapped[int | None] = mapped_column(SmallInteger, comment="business hours until it expires")
    route_to_client_owner: Mapped[bool] = mapped_column(default=False)
    is_referral: Mapped[bool] = mapped_column(default=False)  # done with an outcome: converted, product, amount
    active: Mapped[bool] = mapped_column(default=True)


class Handoff(TenantOwned, Timestamped, Base):
    """A work item handed from one member (or the system) to a person, routed through a role."""

    __tablename__ = "handoffs"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"]),
        Index("ix_handoffs_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_handoffs_tenant_id_assignee_id_state", "tenant_id", "assignee_id", "state"),
        Index("ix_handoffs_tenant_id_client_id", "tenant_id", "client_id"),
        Index("ix_handoffs_tenant_id_origin", "tenant_id", "origin_type", "origin_id"),
        Index("ix_handoffs_due", "tenant_id", "due_at", postgresql_where=OPEN_STATES),
        Index("ix_handoffs_expires", "tenant_id", "expires_at", postgresql_where=OPEN_STATES),
        CheckConstraint("(state = 'declined') = (decline_reason IS NOT NULL)", name="declined_with_reason"),
    )

    type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("handoff_types.id"))
    priority: Mapped[str] = mapped_column(String(10))  # rules.Priority
    client_id: Mapped[uuid.UUID | None]
    description: Mapped[str] = mapped_column(String(2000))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)  # [{"name", "ref"}]
    origin_type: Mapped[str | None] = mapped_column(String(20))  # rules.OriginType
    origin_id: Mapped[uuid.UUID | None]
    state: Mapped[str] = mapped_column(String(20))  # rules.HandoffState
    raised_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    target_role: Mapped[str] = mapped_column(String(50))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    routed_by: Mapped[str] = mapped_column(String(20), comment="how the assignee was chosen")
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(2000))
    converted: Mapped[bool | None]
    product_code: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(20, 2))
    decline_reason: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime]


class HandoffEscalation(TenantOwned, Base):
    """A handoff past its due time, escalated to the branch head: at most one per handoff."""

    __tablename__ = "handoff_escalations"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "handoff_id"], ["handoffs.tenant_id", "handoffs.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "handoff_id"),
    )

    handoff_id: Mapped[uuid.UUID]
    due_at: Mapped[datetime]
    escalated_at: Mapped[datetime]


class Comment(TenantOwned, Timestamped, Base):
    """A comment on a handoff, a client or a ticket; ``@E0101002`` in its body notifies that member."""

    __tablename__ = "comments"
    __table_args__ = tenant_table_args(
        Index("ix_comments_tenant_id_subject", "tenant_id", "subject_type", "subject_id", "created_at", "id"),
    )

    subject_type: Mapped[str] = mapped_column(String(20))  # rules.SubjectType
    subject_id: Mapped[uuid.UUID]
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(String(4000))
    mentions: Mapped[list[uuid.UUID]] = mapped_column(JSONB, default=list)
