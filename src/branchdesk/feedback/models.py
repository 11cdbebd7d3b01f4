"""Client feedback (praise, suggestions, complaints), the complaint workflow's history and escalations
(branch-owned), and head office's categories and complaint SLAs (platform-wide, like the calendar).

A complaint's SLA deadlines are computed in the branch's business hours when it is received and stored
(``acknowledge_due_at``, ``resolve_due_at``), so a breach is a query on an index, not a delayed job.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args
from branchdesk.platform.ids import new_id

DEFAULT_CATEGORY = "*"  # the SLA row of a severity that applies to every category without one of its own


class FeedbackCategory(Timestamped, Base):
    """A category of the head-office list (service attitude, waiting time, fees…)."""

    __tablename__ = "feedback_categories"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class ComplaintSla(Timestamped, Base):
    """Head office's promise for a complaint of a category (or ``*``: every category) and severity."""

    __tablename__ = "complaint_slas"
    __table_args__ = (
        UniqueConstraint("category_code", "severity"),
        CheckConstraint("acknowledge_hours > 0 AND resolve_days > 0", name="positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    category_code: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))  # rules.Severity
    acknowledge_hours: Mapped[int] = mapped_column(SmallInteger, comment="business hours to acknowledge")
    resolve_days: Mapped[int] = mapped_column(SmallInteger, comment="business days to resolve")
    updated_at: Mapped[datetime | None]


class Feedback(TenantOwned, Timestamped, Base):
    """One piece of client feedback; a complaint also carries its workflow state, assignee and SLA."""

    __tablename__ = "feedback"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"]),
        Index("ix_feedback_tenant_id_received_at_id", "tenant_id", "received_at", "id"),
        Index("ix_feedback_tenant_id_client_id", "tenant_id", "client_id"),
        Index("ix_feedback_tenant_id_assignee_id", "tenant_id", "assignee_id"),
        # The breach watch: open complaints by deadline.
        Index(
            "ix_feedback_ack_due",
            "tenant_id",
            "acknowledge_due_at",
            postgresql_where="state = 'received'",
        ),
        Index(
            "ix_feedback_resolve_due",
            "tenant_id",
            "resolve_due_at",
            postgresql_where="state IN ('received', 'acknowledged', 'investigating')",
        ),
        CheckConstraint("(kind = 'complaint') = (state IS NOT NULL)", name="complaints_have_a_state"),
    )

    kind: Mapped[str] = mapped_column(String(20))  # rules.FeedbackKind
    channel: Mapped[str] = mapped_column(String(30))  # rules.Channel
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_categories.id"))
    severity: Mapped[str] = mapped_column(String(10))  # rules.Severity
    client_id: Mapped[uuid.UUID | None]
    summary: Mapped[str] = mapped_column(String(200))
    details: Mapped[str | None] = mapped_column(String(4000))
    received_at: Mapped[datetime]
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    state: Mapped[str | None] = mapped_column(String(20))  # rules.ComplaintState; null for praise, suggestions
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    resolution: Mapped[str | None] = mapped_column(String(2000), comment="What the client was told")
    acknowledge_due_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ComplaintTransition(TenantOwned, Base):
    """One step of a complaint's workflow (or its receipt, or a change of assignee): who, when, why."""

    __tablename__ = "complaint_transitions"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "feedback_id"], ["feedback.tenant_id", "feedback.id"], ondelete="CASCADE"),
        Index("ix_complaint_transitions_tenant_id_feedback_id_at", "tenant_id", "feedback_id", "at"),
    )

    feedback_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(30))  # rules.ComplaintAction, "receive" or "assign"
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(2000))


class ComplaintEscalation(TenantOwned, Base):
    """A breach of a complaint's SLA escalated to the branch head: at most one per complaint and breach."""

    __tablename__ = "complaint_escalations"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "feedback_id"], ["feedback.tenant_id", "feedback.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "feedback_id", "breach"),
    )

    feedback_id: Mapped[uuid.UUID]
    breach: Mapped[str] = mapped_column(String(20))  # rules.Breach
    due_at: Mapped[datetime]
    escalated_at: Mapped[datetime]
    notified_at: Mapped[datetime | None]
