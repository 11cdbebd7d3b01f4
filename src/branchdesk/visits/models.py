"""Walk-in visits, their queue tickets and the per-day ticket counters (all branch-owned).

A visit is one client's (or an anonymous walk-in's) time in the branch. Each line it waits on gives it a
ticket: a transfer closes the ticket as ``transferred`` and issues a new one on the other line, so the
tickets are the visit's history. The visit keeps its current line, number and state, for lists.

Ticket numbers count per branch, line and local day in the branch's time zone: a counter row per
(branch, line, day), bumped with ``INSERT … ON CONFLICT DO UPDATE … RETURNING``, so two registrations
at once get consecutive numbers and the sequence starts again at local midnight.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args


class Visit(TenantOwned, Timestamped, Base):
    __tablename__ = "visits"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"]),
        Index("ix_visits_tenant_id_registered_at_id", "tenant_id", "registered_at", "id"),
        Index("ix_visits_tenant_id_local_day_line", "tenant_id", "local_day", "line"),
        Index("ix_visits_tenant_id_client_id", "tenant_id", "client_id"),
    )

    client_id: Mapped[uuid.UUID | None]
    purpose: Mapped[str] = mapped_column(String(30))  # rules.Purpose
    note: Mapped[str | None] = mapped_column(String(500))
    local_day: Mapped[date] = mapped_column(comment="The branch's local day the visit was registered")
    registered_at: Mapped[datetime]
    registered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    line: Mapped[str] = mapped_column(String(30), comment="The current ticket's line (rules.ServiceLine)")
    ticket_number: Mapped[str] = mapped_column(String(10), comment="The current ticket's number")
    state: Mapped[str] = mapped_column(String(20), comment="The current ticket's state (rules.TicketState)")
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    services_done: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    products_of_interest: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    referral_raised: Mapped[bool | None]
    referral_note: Mapped[str | None] = mapped_column(String(500))
    survey_sent: Mapped[bool | None]
    updated_at: Mapped[datetime]


class QueueTicket(TenantOwned, Base):
    __tablename__ = "queue_tickets"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "visit_id"], ["visits.tenant_id", "visits.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "line", "local_day", "seq"),
        Index("ix_queue_tickets_tenant_id_visit_id", "tenant_id", "visit_id"),
        # Call next: the oldest waiting ticket of a line and day.
        Index(
            "ix_queue_tickets_waiting",
            "tenant_id",
            "line",
            "local_day",
            "issued_at",
            "id",
            postgresql_where="state = 'waiting'",
        ),
        # The boards' recent service times and the metrics per line and hour.
        Index("ix_queue_tickets_tenant_id_line_ended_at", "tenant_id", "line", "ended_at"),
    )

    visit_id: Mapped[uuid.UUID]
    line: Mapped[str] = mapped_column(String(30))
    local_day: Mapped[date]
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime]
    called_at: Mapped[datetime | None]
    called_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    started_at: Mapped[datetime | None]
    served_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    ended_at: Mapped[datetime | None] = mapped_column(comment="Served, no-show or transferred")
    transferred_to: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(String(500), comment="Why it was transferred")


class QueueCounter(TenantOwned, Base):
    """The last number issued on a line on a local day."""

    __tablename__ = "queue_counters"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "line", "local_day"))

    line: Mapped[str] = mapped_column(String(30))
    local_day: Mapped[date]
    last_seq: Mapped[int] = mapped_column(Integer)
