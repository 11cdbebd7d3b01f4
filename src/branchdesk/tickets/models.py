"""Support tickets (a handoff to IT support or the back office, with a category and severity) and
incidents (the branch's incident mode: a timeline of updates, participants and a closing review)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args


class SupportTicket(TenantOwned, Timestamped, Base):
    """A ticket: its handoff (same id) carries the state, assignee, SLA and escalation."""

    __tablename__ = "support_tickets"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "id"], ["handoffs.tenant_id", "handoffs.id"], ondelete="CASCADE"),
        Index("ix_support_tickets_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
    )

    queue: Mapped[str] = mapped_column(String(20))  # rules.TicketQueue
    category: Mapped[str] = mapped_column(String(20))  # rules.TicketCategory
    severity: Mapped[str] = mapped_column(String(10))  # rules.Severity
    title: Mapped[str] = mapped_column(String(200))


class Incident(TenantOwned, Timestamped, Base):
    """The branch in incident mode for an outage, a security event or crowding: one open per kind."""

    __tablename__ = "incidents"
    __table_args__ = tenant_table_args(
        Index(
            "uq_incidents_one_open_per_kind", "tenant_id", "kind", unique=True, postgresql_where=text("state = 'open'")
        ),
        Index("ix_incidents_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
    )

    kind: Mapped[str] = mapped_column(String(20))  # rules.IncidentKind
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10))  # rules.IncidentState
    declared_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    review: Mapped[str | None] = mapped_column(String(4000), comment="the closing review: cause, impact, lessons")


class IncidentUpdate(TenantOwned, Timestamped, Base):
    """One entry of an incident's timeline."""

    __tablename__ = "incident_updates"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"], ondelete="CASCADE"),
        Index("ix_incident_updates_tenant_id_incident_id_created_at", "tenant_id", "incident_id", "created_at"),
    )

    incident_id: Mapped[uuid.UUID]
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(String(2000))


class IncidentParticipant(TenantOwned, Timestamped, Base):
    """Someone working an incident (who declared it, who posted to it, who was added)."""

    __tablename__ = "incident_participants"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "incident_id", "staff_id"),
    )

    incident_id: Mapped[uuid.UUID]
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
